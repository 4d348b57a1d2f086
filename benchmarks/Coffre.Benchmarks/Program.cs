using BenchmarkDotNet.Running;

// Not typeof(Program): the silo's assembly (referenced for its authentication step) has a Program of its own.
BenchmarkSwitcher.FromAssembly(System.Reflection.Assembly.GetExecutingAssembly()).Run(args);

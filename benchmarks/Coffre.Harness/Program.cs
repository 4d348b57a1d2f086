using Coffre.Harness;

if (args is ["content-baseline", ..])
{
    return await ContentWriteBaseline.RunAsync(args);
}

if (args is ["messaging", ..])
{
    return await MessagingBench.RunAsync(args[1..]);
}

if (args is ["delivery", ..])
{
    return await DeliveryBench.RunAsync(args[1..]);
}

if (args is ["export", ..])
{
    return await ExportBench.RunAsync(args[1..]);
}

if (args is ["disk-flush", ..])
{
    return await DiskFlushBench.RunAsync(args[1..]);
}

if (args is ["directory-search", ..])
{
    return await DirectorySearchBench.RunAsync(args[1..]);
}

HarnessOptions options;
try
{
    options = HarnessOptions.Parse(args);
}
catch (Exception e) when (e is ArgumentException or FormatException or OverflowException)
{
    Console.Error.WriteLine($"coffre-harness: {e.Message}");
    Console.Error.WriteLine("usage: Coffre.Harness --postgres CS --blob CS [--people N] [--out FILE.json] [--work-dir DIR] [--silo-dll coffre.dll]");
    Console.Error.WriteLine("       [--activations K] [--rate R] [--open-seconds S] [--concurrency C] [--issue-chunk N] [--writers W] (see HarnessOptions.cs)");
    return 2;
}
return await new MacroHarness(options).RunAsync();

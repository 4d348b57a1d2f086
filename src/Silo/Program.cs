using Coffre.Silo.Commands;

return await CommandLine.RunAsync(args);

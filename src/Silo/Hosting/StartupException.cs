namespace Coffre.Silo.Hosting;

/// <summary>A setting or a service is wrong: the message names which, in one line, and the process exits non-zero.</summary>
public sealed class StartupException(string message, int exitCode = 2, Exception? inner = null) : Exception(message, inner)
{
    public int ExitCode { get; } = exitCode;
}

using Coffre.Silo.Hosting;

namespace Coffre.Silo.Commands;

/// <summary>
/// The host of a one-shot verb: the servers' configuration sources and service registrations, without their
/// web server or silo. Configuration is <c>appsettings.json</c> beside <c>coffre.dll</c>, then the settings file
/// (<see cref="SettingsFile"/>), then the environment, then <c>--Key=value</c> arguments. Logs (warnings and errors)
/// go to stderr: stdout carries the verb's result only. The host is built, never started: no hosted service runs.
/// </summary>
public static class CommandHost
{
    /// <param name="role">The role whose settings the verb needs (a silo's for the cluster's storage); null keeps <c>Coffre:Role</c>.</param>
    public static HostApplicationBuilder CreateBuilder(string[] args, CoffreRole? role, out CoffreOptions options)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            DisableDefaults = true,
            Args = args,
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.Configuration.SetBasePath(AppContext.BaseDirectory);
        builder.Configuration.AddJsonFile("appsettings.json", optional: true);
        SettingsFile.AddTo(builder.Configuration, args);
        builder.Configuration.AddEnvironmentVariables();
        builder.Configuration.AddCommandLine(args);
        builder.Logging.ClearProviders();
        builder.Logging.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        // The Orleans client's retries say "no gateway yet" once a second, and the host logs its failure to start with
        // a stack trace: the command says it once, in one line (exit 3).
        builder.Logging.AddFilter("Orleans", LogLevel.Error);
        builder.Logging.AddFilter("Microsoft.Extensions.Hosting", LogLevel.None);

        options = Settings.ReadOptions(builder.Configuration);
        options.Role = role ?? options.Role;
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(TimeProvider.System);
        return builder;
    }

    /// <summary>Builds the host, disposed asynchronously (some of its services, the audit log, are <see cref="IAsyncDisposable"/> only).</summary>
    public static CommandScope BuildScope(this HostApplicationBuilder builder) => new(builder.Build());
}

/// <summary>A verb's built host, disposed with <c>await using</c>.</summary>
public sealed class CommandScope(IHost host) : IAsyncDisposable
{
    public IHost Host => host;

    public IServiceProvider Services => host.Services;

    public async ValueTask DisposeAsync()
    {
        if (host is IAsyncDisposable asyncDisposable)
        {
            await asyncDisposable.DisposeAsync();
        }
        else
        {
            host.Dispose();
        }
    }
}

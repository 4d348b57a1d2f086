using System.Text.Json;
using Coffre.Silo.Hosting;
using Microsoft.Extensions.Configuration.Json;
using Microsoft.Extensions.FileProviders;

namespace Coffre.Silo.Commands;

/// <summary>
/// The cluster's settings in one JSON file (<c>--settings FILE</c>, or the <c>COFFRE_SETTINGS</c> environment
/// variable), in the shape the servers read (<c>ConnectionStrings:…</c>, <c>Coffre:…</c>): <c>deploy/local/up.sh</c>
/// writes one for the local cluster. It comes after <c>appsettings*.json</c> and before the environment and the
/// command line, which still override it. Every verb, serving or operator, reads it the same way.
/// </summary>
public static class SettingsFile
{
    public const string Option = "--settings";
    public const string EnvironmentVariable = "COFFRE_SETTINGS";

    /// <summary>The file named by <c>--settings FILE</c> / <c>--settings=FILE</c>, else by <c>COFFRE_SETTINGS</c>; null when neither.</summary>
    public static string? PathFrom(string[] args)
    {
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] == Option)
            {
                return i + 1 < args.Length && !args[i + 1].StartsWith("--", StringComparison.Ordinal)
                    ? args[i + 1]
                    : throw new StartupException($"{Option} needs a file: {Option} FILE");
            }
            if (args[i].StartsWith(Option + "=", StringComparison.Ordinal))
            {
                return args[i][(Option.Length + 1)..];
            }
        }
        return Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } fromEnvironment ? fromEnvironment : null;
    }

    /// <summary>
    /// Adds the settings file (when one is named) after the last file source already there (appsettings.json,
    /// appsettings.{Environment}.json, user secrets) and so before the environment and the command line.
    /// </summary>
    public static void AddTo(IConfigurationBuilder configuration, string[] args)
    {
        if (PathFrom(args) is not { } path)
        {
            return;
        }
        var full = Path.GetFullPath(path);
        if (!File.Exists(full))
        {
            throw new StartupException($"settings file {full} ({Option} or {EnvironmentVariable}) does not exist");
        }
        var source = new JsonConfigurationSource
        {
            FileProvider = new PhysicalFileProvider(Path.GetDirectoryName(full)!),
            Path = Path.GetFileName(full),
            Optional = false,
            ReloadOnChange = false,
        };
        var sources = configuration.Sources;
        var index = 0;
        for (var i = 0; i < sources.Count; i++)
        {
            if (sources[i] is FileConfigurationSource)
            {
                index = i + 1;
            }
        }
        try
        {
            // A ConfigurationManager (every builder here) loads the source at once.
            sources.Insert(index, source);
        }
        catch (Exception e) when (e is InvalidDataException or FormatException or JsonException)
        {
            throw Invalid(full, e);
        }
    }

    private static StartupException Invalid(string path, Exception e)
    {
        var cause = e;
        while (cause.InnerException is { } inner)
        {
            cause = inner;
        }
        return new($"settings file {path} is not valid JSON: {cause.Message.Split('\n')[0]}");
    }
}

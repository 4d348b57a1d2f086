using Microsoft.Extensions.Logging;
using Npgsql;

namespace Coffre.IntegrationTests.Infrastructure;

/// <summary>
/// A data source on a test database whose sessions report the plan of every statement they run: <c>auto_explain</c> at
/// level NOTICE is set on the database for new sessions, and Npgsql logs each notice ("Received notice"), captured here.
/// What a plan test asserts on: the plan PostgreSQL actually ran, prepared statements included.
/// </summary>
internal sealed class ExplainedDataSource : IAsyncDisposable
{
    private readonly NoticeLog _notices = new();

    private ExplainedDataSource(string connectionString)
    {
        var builder = new NpgsqlDataSourceBuilder(connectionString);
        builder.UseLoggerFactory(LoggerFactory.Create(logging => logging.SetMinimumLevel(LogLevel.Debug).AddProvider(_notices)));
        Data = builder.Build();
    }

    public NpgsqlDataSource Data { get; }

    /// <summary>The plans reported so far whose query text contains <paramref name="text"/>, oldest first.</summary>
    public IReadOnlyList<string> PlansOf(string text) => [.. _notices.Messages.Where(m => m.Contains(text, StringComparison.Ordinal))];

    public static async Task<ExplainedDataSource> CreateAsync(string connectionString)
    {
        var database = new NpgsqlConnectionStringBuilder(connectionString).Database;
        foreach (var setting in new[] { "session_preload_libraries = 'auto_explain'", "auto_explain.log_min_duration = 0", "auto_explain.log_level = 'notice'" })
        {
            await TestServices.ExecuteAsync(connectionString, $"ALTER DATABASE \"{database}\" SET {setting}");
        }
        return new ExplainedDataSource(connectionString);
    }

    public ValueTask DisposeAsync() => Data.DisposeAsync();

    /// <summary>What Npgsql logs of the server's notices.</summary>
    private sealed class NoticeLog : ILoggerProvider, ILogger
    {
        private readonly List<string> _messages = [];

        public IReadOnlyList<string> Messages
        {
            get
            {
                lock (_messages)
                {
                    return [.. _messages];
                }
            }
        }

        public ILogger CreateLogger(string categoryName) => this;

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var message = formatter(state, exception);
            if (message.StartsWith("Received notice", StringComparison.Ordinal))
            {
                lock (_messages)
                {
                    _messages.Add(message);
                }
            }
        }

        public void Dispose()
        {
        }
    }
}

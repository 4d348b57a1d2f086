using Microsoft.Extensions.Logging;

namespace Coffre.Grains.Events;

/// <summary>Log messages of the event path (kinds and error types only: no ids, no personal data).</summary>
public static partial class VaultEventsLog
{
    [LoggerMessage(EventId = 2160, Level = LogLevel.Warning, Message = "a {Kind} vault event could not be raised ({Error}); the change itself is stored")]
    public static partial void EventNotRaised(ILogger logger, string kind, string error);
}

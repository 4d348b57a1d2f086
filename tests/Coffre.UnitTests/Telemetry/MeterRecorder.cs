using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace Coffre.UnitTests.Telemetry;

/// <summary>Records the measurements of one meter's instruments while it lives (process-wide: filter by tag).</summary>
public sealed class MeterRecorder : IDisposable
{
    private readonly MeterListener _listener = new();

    public MeterRecorder(string meterName)
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == meterName)
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Record(instrument, value, tags));
        _listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => Record(instrument, value, tags));
        _listener.Start();
    }

    public ConcurrentQueue<(string Instrument, double Value, Dictionary<string, object?> Tags)> Measurements { get; } = new();

    /// <summary>The sum of an instrument's measurements whose tag <paramref name="tag"/> is <paramref name="value"/> (all when null).</summary>
    public double Sum(string instrument, string? tag = null, string? value = null) =>
        Measurements.Where(m => m.Instrument == instrument && (tag is null || Equals(m.Tags.GetValueOrDefault(tag), value))).Sum(m => m.Value);

    public void Dispose() => _listener.Dispose();

    private void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var copy = new Dictionary<string, object?>();
        foreach (var tag in tags)
        {
            copy[tag.Key] = tag.Value;
        }
        Measurements.Enqueue((instrument.Name, value, copy));
    }
}

using System.Collections.Concurrent;
using Orleans;
using Orleans.Runtime;

namespace Coffre.IntegrationTests.Postgres;

/// <summary>A test grain that registers a reminder and reports each tick to <see cref="ReminderProbe"/>.</summary>
[Alias("coffre.tests.reminder-probe")]
public interface IReminderProbeGrain : IGrainWithStringKey
{
    [Alias("arm")]
    Task ArmAsync(TimeSpan dueTime, TimeSpan period);

    [Alias("disarm")]
    Task DisarmAsync();
}

[GrainType("tests-reminder-probe")]
public sealed class ReminderProbeGrain(ReminderProbe probe) : Grain, IReminderProbeGrain, IRemindable
{
    public const string ReminderName = "probe";

    public Task ArmAsync(TimeSpan dueTime, TimeSpan period) => this.RegisterOrUpdateReminder(ReminderName, dueTime, period);

    public async Task DisarmAsync()
    {
        if (await this.GetReminder(ReminderName) is { } reminder)
        {
            await this.UnregisterReminder(reminder);
        }
    }

    public Task ReceiveReminder(string reminderName, TickStatus status)
    {
        probe.Fired(this.GetPrimaryKeyString());
        return Task.CompletedTask;
    }
}

/// <summary>Lets a test wait for a reminder tick without sleeping.</summary>
public sealed class ReminderProbe
{
    private static readonly ConcurrentDictionary<string, TaskCompletionSource> Ticks = new();

    public static Task WaitAsync(string key) => Ticks.GetOrAdd(key, _ => new(TaskCreationOptions.RunContinuationsAsynchronously)).Task;

    public void Fired(string key) => Ticks.GetOrAdd(key, _ => new(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
}

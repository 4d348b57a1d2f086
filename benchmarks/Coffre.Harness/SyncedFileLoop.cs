using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Coffre.Harness;

/// <summary>
/// A thread of its own that repeats one step on a file of its own in a folder (a write made durable with
/// <c>fdatasync</c>) until stopped; the file is removed when the loop is disposed. The flush probe and the disk-flush
/// verb's WAL-like stream are two such loops.
/// </summary>
public abstract class SyncedFileLoop : IDisposable
{
    private readonly string _path;
    private readonly Thread _thread;
    private volatile bool _stop;
    private string? _failure;

    protected SyncedFileLoop(string directory, string name, long preallocationBytes, ThreadPriority priority = ThreadPriority.Normal)
    {
        _path = Path.Combine(directory, $"{name}-{Environment.ProcessId}-{Guid.NewGuid():N}.bin");
        File = System.IO.File.OpenHandle(_path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, FileOptions.None, preallocationBytes);
        _thread = new Thread(Run) { IsBackground = true, Name = name, Priority = priority };
    }

    protected SafeFileHandle File { get; }

    /// <summary>One step of the loop (a write and its sync, then a pause); an <see cref="IOException"/> ends the loop.</summary>
    protected abstract void Step();

    /// <summary>Starts the thread (by the subclass, once its own fields are set).</summary>
    protected void StartLoop() => _thread.Start();

    /// <summary>Stops the thread; the loop's failure, if it had one, is thrown here as <c>"{what} failed: …"</c>.</summary>
    protected void StopLoop(string what)
    {
        _stop = true;
        _thread.Join();
        if (_failure is not null)
        {
            throw new IOException($"{what} failed: {_failure}");
        }
    }

    /// <summary>Makes the file's written data durable (<c>fdatasync</c>, as a commit's WAL flush does).</summary>
    protected void SyncData()
    {
        if (FlushData((int)File.DangerousGetHandle()) != 0)
        {
            throw new IOException($"fdatasync failed (errno {Marshal.GetLastPInvokeError()})");
        }
    }

    private void Run()
    {
        try
        {
            while (!_stop)
            {
                Step();
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _failure = e.Message;
        }
    }

    // A blittable signature: no marshalling code, so no unsafe blocks in the harness.
    [DllImport("libc", EntryPoint = "fdatasync", SetLastError = true)]
    private static extern int FlushData(int fd);

    public void Dispose()
    {
        if (!_stop)
        {
            _stop = true;
            _thread.Join();
        }
        File.Dispose();
        System.IO.File.Delete(_path);
        GC.SuppressFinalize(this);
    }
}

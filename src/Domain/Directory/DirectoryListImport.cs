namespace Coffre.Domain.Directory;

/// <summary>One row's line in its file (the header is line 1) and what registering it did.</summary>
public sealed record DirectoryReportRow(long Line, DirectoryRowResult Result);

/// <summary>Where a list import stands: data lines done (after the header) and the counts so far.</summary>
public sealed record DirectoryImportPosition(long LinesDone, DirectoryCounts Counts, bool Complete);

/// <summary>
/// A list import (CSV, <see cref="DirectoryCsv"/>): reads the file's rows in chunks, rejects the rows whose syntax is
/// wrong, registers the others through <see cref="IDirectoryRegistrar"/> (one call per chunk, where
/// <see cref="DirectoryRules"/> decide), and hands each chunk's report rows to <c>onChunk</c> once the chunk is applied —
/// the moment a caller may record a checkpoint: re-running from there re-reads nothing already applied, and a chunk
/// applied twice (a crash between applying and checkpointing) only updates rows to what they already are
/// (<see cref="DirectoryOutcome.Unchanged"/>). Used by the operator command and the HTTP upload alike.
/// </summary>
public static class DirectoryListImport
{
    public const int DefaultChunkSize = 500;

    /// <param name="reader">The file from its first line (the header).</param>
    /// <param name="skipLines">Data lines already applied (a checkpoint): they are read and skipped.</param>
    /// <param name="maxRows">Stop (incomplete) once at least this many more data lines are done; null: to the end.</param>
    /// <exception cref="FormatException">The first line is not the kind's header.</exception>
    public static async Task<DirectoryImportPosition> RunAsync(
        DirectoryEntryKind kind, TextReader reader, IDirectoryRegistrar registrar,
        Func<IReadOnlyList<DirectoryReportRow>, DirectoryImportPosition, Task> onChunk,
        long skipLines = 0, DirectoryCounts? counts = null, int chunkSize = DefaultChunkSize, long? maxRows = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(chunkSize, 1);
        counts ??= new DirectoryCounts();
        if (DirectoryCsv.CheckHeader(kind, await reader.ReadLineAsync(cancellationToken)) is { } headerRule)
        {
            throw new FormatException(headerRule);
        }
        var linesDone = 0L;
        for (; linesDone < skipLines; linesDone++)
        {
            if (await reader.ReadLineAsync(cancellationToken) is null)
            {
                break;
            }
        }
        var startedAt = linesDone;
        var chunk = new List<(long Line, string Key, object? Entry, DirectoryViolation? Violation)>(chunkSize);
        while (true)
        {
            chunk.Clear();
            string? text = null;
            while (chunk.Count < chunkSize && (text = await reader.ReadLineAsync(cancellationToken)) is not null)
            {
                var line = linesDone + chunk.Count + 2;
                var (entry, key, violation) = DirectoryCsv.Parse(kind, text);
                chunk.Add((line, key, entry, violation));
            }
            if (chunk.Count == 0)
            {
                var done = new DirectoryImportPosition(linesDone, counts, Complete: true);
                await onChunk([], done);
                return done;
            }
            var parsed = chunk.Where(r => r.Entry is not null).ToList();
            var applied = kind == DirectoryEntryKind.Establishment
                ? await registrar.RegisterEstablishmentsAsync(parsed.Select(r => (EstablishmentEntry)r.Entry!).ToList(), cancellationToken)
                : await registrar.RegisterProfessionalsAsync(parsed.Select(r => (ProfessionalEntry)r.Entry!).ToList(), cancellationToken);
            var rows = new List<DirectoryReportRow>(chunk.Count);
            var next = 0;
            foreach (var (line, key, entry, violation) in chunk)
            {
                var result = entry is null ? DirectoryRowResult.Rejected(rows.Count, key, violation!) : applied[next++] with { Index = rows.Count };
                counts.Add(result.Outcome);
                rows.Add(new DirectoryReportRow(line, result));
            }
            linesDone += chunk.Count;
            var endOfFile = text is null;
            var stop = !endOfFile && maxRows is { } max && linesDone - startedAt >= max;
            var position = new DirectoryImportPosition(linesDone, counts, Complete: endOfFile);
            await onChunk(rows, position);
            if (endOfFile || stop)
            {
                return position;
            }
        }
    }
}

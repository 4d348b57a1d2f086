using Coffre.Application.Contact;
using Coffre.Domain.Contact;
using Npgsql;
using NpgsqlTypes;

namespace Coffre.Adapters.Postgres;

/// <summary>Contact preferences on PostgreSQL (table <c>person_contact</c>, migration 0015): one query per batch lookup.</summary>
public sealed class PostgresContactDirectory(NpgsqlDataSource dataSource) : IContactDirectory
{
    public async Task<IReadOnlyDictionary<string, ContactPreferences>> FindAsync(IReadOnlyCollection<string> vaultIds, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(vaultIds);
        var found = new Dictionary<string, ContactPreferences>(StringComparer.Ordinal);
        if (vaultIds.Count == 0)
        {
            return found;
        }
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = new NpgsqlCommand("""
            SELECT vault_id, email, mobile, channels, quiet_start, quiet_end
            FROM person_contact WHERE vault_id = ANY($1)
            """, connection)
        {
            Parameters = { new NpgsqlParameter<string[]> { TypedValue = [.. vaultIds.Distinct(StringComparer.Ordinal)], NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text } },
        };
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            var channels = reader.GetFieldValue<short[]>(3).Select(c => (AlertChannel)c).Where(Enum.IsDefined).ToArray();
            var quiet = reader.IsDBNull(4) || reader.IsDBNull(5)
                ? null
                : new QuietHours(TimeOnly.FromTimeSpan(reader.GetFieldValue<TimeSpan>(4)), TimeOnly.FromTimeSpan(reader.GetFieldValue<TimeSpan>(5)));
            found[reader.GetString(0)] = new ContactPreferences(
                reader.IsDBNull(1) ? null : reader.GetString(1),
                reader.IsDBNull(2) ? null : reader.GetString(2),
                channels,
                quiet);
        }
        return found;
    }

    public async Task SetAsync(string vaultId, ContactPreferences preferences, DateTimeOffset at, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(vaultId);
        ArgumentNullException.ThrowIfNull(preferences);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = new NpgsqlCommand("""
            INSERT INTO person_contact (vault_id, email, mobile, channels, quiet_start, quiet_end, updated_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7)
            ON CONFLICT (vault_id) DO UPDATE SET email = excluded.email, mobile = excluded.mobile, channels = excluded.channels,
                quiet_start = excluded.quiet_start, quiet_end = excluded.quiet_end, updated_at = excluded.updated_at
            """, connection)
        {
            Parameters =
            {
                new NpgsqlParameter<string> { TypedValue = vaultId },
                new NpgsqlParameter { Value = (object?)preferences.Email ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text },
                new NpgsqlParameter { Value = (object?)preferences.Mobile ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text },
                new NpgsqlParameter<short[]> { TypedValue = [.. preferences.Channels.Select(c => (short)c)], NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Smallint },
                new NpgsqlParameter { Value = preferences.QuietHours is { } q ? q.Start.ToTimeSpan() : DBNull.Value, NpgsqlDbType = NpgsqlDbType.Time },
                new NpgsqlParameter { Value = preferences.QuietHours is { } e ? e.End.ToTimeSpan() : DBNull.Value, NpgsqlDbType = NpgsqlDbType.Time },
                new NpgsqlParameter<DateTimeOffset> { TypedValue = at.ToUniversalTime() },
            },
        };
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}

using System.Text;
using Coffre.Application.Directory;
using Coffre.Domain.Access;
using Coffre.Domain.Directory;
using Npgsql;
using NpgsqlTypes;

namespace Coffre.Adapters.Postgres;

/// <summary>
/// The directory's search projection on PostgreSQL (tables <c>directory_entry</c>, <c>directory_word</c>,
/// <c>directory_membership</c>, migration 0012). A batch upsert is one transaction of five array statements (entries,
/// their words, professionals' memberships). A search is one statement: the filters as index-backed conditions
/// (each name word a range on <c>directory_word</c>, byte order), the page in the search's order after the cursor
/// (keyset on <c>name_key, kind, identifier</c>), then each professional's active memberships joined to their
/// establishments' entries for the page's rows only.
/// </summary>
public sealed class PostgresDirectoryIndex(NpgsqlDataSource dataSource) : IDirectoryIndex
{
    public async Task UpsertAsync(IReadOnlyList<DirectoryRecord> records, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(records);
        // The last record of an entry wins (ON CONFLICT cannot touch a row twice in one statement).
        var rows = records.GroupBy(r => (r.Kind, r.Identifier)).Select(g => g.Last()).ToArray();
        if (rows.Length == 0)
        {
            return;
        }
        var nameKeys = rows.Select(r => r.NameKey).ToArray();
        var words = rows.SelectMany((r, i) => DirectoryNames.Words(nameKeys[i]).Select(w => (Word: w, r.Kind, r.Identifier))).ToArray();
        var professionals = rows.Where(r => r.Kind == DirectoryEntryKind.Professional).ToArray();
        var memberships = professionals.SelectMany(r => r.Memberships.DistinctBy(m => m.Finess).Select(m => (r.Identifier, Membership: m))).ToArray();

        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using var batch = new NpgsqlBatch(connection, tx)
        {
            BatchCommands =
            {
                new NpgsqlBatchCommand("""
                    INSERT INTO directory_entry (kind, identifier, display_name, name_key, profession_code, sector, suspended, town, departement)
                    SELECT * FROM unnest($1::smallint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::smallint[], $7::boolean[], $8::text[], $9::text[])
                    ON CONFLICT (kind, identifier) DO UPDATE SET
                        display_name = excluded.display_name, name_key = excluded.name_key, profession_code = excluded.profession_code,
                        sector = excluded.sector, suspended = excluded.suspended, town = excluded.town, departement = excluded.departement
                    """)
                {
                    Parameters =
                    {
                        Array(rows.Select(r => (short)r.Kind).ToArray(), NpgsqlDbType.Smallint),
                        Array(rows.Select(r => r.Identifier).ToArray(), NpgsqlDbType.Text),
                        Array(rows.Select(r => r.DisplayName).ToArray(), NpgsqlDbType.Text),
                        Array(nameKeys, NpgsqlDbType.Text),
                        Array(rows.Select(r => r.ProfessionCode).ToArray(), NpgsqlDbType.Text),
                        Array(rows.Select(r => (short)r.Sector).ToArray(), NpgsqlDbType.Smallint),
                        Array(rows.Select(r => r.Suspended).ToArray(), NpgsqlDbType.Boolean),
                        Array(rows.Select(r => r.Kind == DirectoryEntryKind.Establishment ? r.Town : null).ToArray(), NpgsqlDbType.Text),
                        Array(rows.Select(r => r.Kind == DirectoryEntryKind.Establishment ? r.Departement : null).ToArray(), NpgsqlDbType.Text),
                    },
                },
                new NpgsqlBatchCommand("""
                    DELETE FROM directory_word w USING unnest($1::smallint[], $2::text[]) AS u(kind, identifier)
                    WHERE w.kind = u.kind AND w.identifier = u.identifier
                    """)
                {
                    Parameters =
                    {
                        Array(rows.Select(r => (short)r.Kind).ToArray(), NpgsqlDbType.Smallint),
                        Array(rows.Select(r => r.Identifier).ToArray(), NpgsqlDbType.Text),
                    },
                },
                new NpgsqlBatchCommand("""
                    INSERT INTO directory_word (word, kind, identifier)
                    SELECT * FROM unnest($1::text[], $2::smallint[], $3::text[]) ON CONFLICT DO NOTHING
                    """)
                {
                    Parameters =
                    {
                        Array(words.Select(w => w.Word).ToArray(), NpgsqlDbType.Text),
                        Array(words.Select(w => (short)w.Kind).ToArray(), NpgsqlDbType.Smallint),
                        Array(words.Select(w => w.Identifier).ToArray(), NpgsqlDbType.Text),
                    },
                },
                new NpgsqlBatchCommand("DELETE FROM directory_membership WHERE identifier = ANY($1::text[])")
                {
                    Parameters = { Array(professionals.Select(r => r.Identifier).ToArray(), NpgsqlDbType.Text) },
                },
                new NpgsqlBatchCommand("""
                    INSERT INTO directory_membership (identifier, finess, starts_at, ends_at)
                    SELECT * FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::timestamptz[])
                    """)
                {
                    Parameters =
                    {
                        Array(memberships.Select(m => m.Identifier).ToArray(), NpgsqlDbType.Text),
                        Array(memberships.Select(m => m.Membership.Finess).ToArray(), NpgsqlDbType.Text),
                        Array(memberships.Select(m => m.Membership.Start?.ToUniversalTime()).ToArray(), NpgsqlDbType.TimestampTz),
                        Array(memberships.Select(m => m.Membership.End?.ToUniversalTime()).ToArray(), NpgsqlDbType.TimestampTz),
                    },
                },
            },
        };
        await batch.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        await tx.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task RemoveAsync(DirectoryEntryKind kind, string identifier, CancellationToken cancellationToken = default)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = new NpgsqlCommand("""
            WITH gone_words AS (DELETE FROM directory_word WHERE kind = $1 AND identifier = $2),
                 gone_memberships AS (DELETE FROM directory_membership WHERE $1 = 0 AND identifier = $2)
            DELETE FROM directory_entry WHERE kind = $1 AND identifier = $2
            """, connection)
        {
            Parameters =
            {
                new NpgsqlParameter<short> { TypedValue = (short)kind },
                new NpgsqlParameter<string> { TypedValue = identifier },
            },
        };
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task<DirectoryPage> SearchAsync(DirectoryQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var command = new NpgsqlCommand { Connection = connection };
        command.CommandText = SearchSql(query, command.Parameters);
        var items = new List<DirectoryListing>(query.First + 1);
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                items.Add(Read(reader));
            }
        }
        var hasNext = items.Count > query.First;
        return new DirectoryPage(hasNext ? items[..query.First] : items, hasNext);
    }

    /// <summary>The search statement for <paramref name="query"/>, its values added to <paramref name="parameters"/>.</summary>
    public static string SearchSql(DirectoryQuery query, NpgsqlParameterCollection parameters)
    {
        string Param<T>(T value, NpgsqlDbType type)
        {
            parameters.Add(new NpgsqlParameter<T> { TypedValue = value, NpgsqlDbType = type });
            return "$" + parameters.Count;
        }
        var now = Param(query.Now.ToUniversalTime(), NpgsqlDbType.TimestampTz);
        var active = $"(dm.starts_at IS NULL OR dm.starts_at <= {now}) AND (dm.ends_at IS NULL OR {now} < dm.ends_at)";
        var where = new List<string>();
        foreach (var word in query.NameWords)
        {
            where.Add($"(e.kind, e.identifier) IN (SELECT w.kind, w.identifier FROM directory_word w WHERE w.word >= {Param(word, NpgsqlDbType.Text)} AND w.word < {Param(DirectoryNames.PrefixUpperBound(word), NpgsqlDbType.Text)})");
        }
        if (query.After is { } after)
        {
            where.Add($"(e.name_key, e.kind, e.identifier) > ({Param(after.NameKey, NpgsqlDbType.Text)}, {Param((short)after.Kind, NpgsqlDbType.Smallint)}, {Param(after.Identifier, NpgsqlDbType.Text)})");
        }
        if (query.Kind is { } kind)
        {
            where.Add($"e.kind = {(int)kind}");
        }
        if (query.Profession is { } profession)
        {
            where.Add($"e.kind = 0 AND e.profession_code = {Param(profession, NpgsqlDbType.Text)}");
        }
        if (query.Sector is { } sector)
        {
            where.Add($"e.sector = {(int)sector}");
        }
        if (!query.IncludeSuspended)
        {
            where.Add("NOT e.suspended");
        }
        if (query.Establishment is { } finess)
        {
            where.Add($"e.kind = 0 AND e.identifier IN (SELECT dm.identifier FROM directory_membership dm WHERE dm.finess = {Param(finess, NpgsqlDbType.Text)} AND {active})");
        }
        if (query.Departement is { } departement)
        {
            var dep = Param(departement, NpgsqlDbType.Text);
            var establishments = $"(e.kind = 1 AND e.departement = {dep})";
            var professionals = $"(e.kind = 0 AND e.identifier IN (SELECT dm.identifier FROM directory_membership dm JOIN directory_entry x ON x.kind = 1 AND x.identifier = dm.finess WHERE x.departement = {dep} AND {active}))";
            where.Add(query.Kind switch
            {
                DirectoryEntryKind.Establishment => establishments,
                DirectoryEntryKind.Professional => professionals,
                _ => $"({establishments} OR {professionals})",
            });
        }
        var sql = new StringBuilder("""
            WITH page AS (
                SELECT e.kind, e.identifier, e.display_name, e.name_key, e.profession_code, e.sector, e.suspended, e.town, e.departement
                FROM directory_entry e
            """);
        if (where.Count > 0)
        {
            sql.Append("\n    WHERE ").AppendJoin("\n      AND ", where);
        }
        sql.Append($"""

                ORDER BY e.name_key, e.kind, e.identifier
                LIMIT {query.First + 1}
            )
            SELECT p.kind, p.identifier, p.display_name, p.name_key, p.profession_code, p.sector, p.suspended, p.town, p.departement,
                   m.finess, m.names, m.towns, m.departements
            FROM page p
            LEFT JOIN LATERAL (
                SELECT array_agg(x.identifier ORDER BY x.identifier) AS finess, array_agg(x.display_name ORDER BY x.identifier) AS names,
                       array_agg(x.town ORDER BY x.identifier) AS towns, array_agg(x.departement ORDER BY x.identifier) AS departements
                FROM directory_membership dm JOIN directory_entry x ON x.kind = 1 AND x.identifier = dm.finess
                WHERE p.kind = 0 AND dm.identifier = p.identifier AND {active}
            ) m ON true
            ORDER BY p.name_key, p.kind, p.identifier
            """);
        return sql.ToString();
    }

    private static DirectoryListing Read(NpgsqlDataReader reader)
    {
        var kind = (DirectoryEntryKind)reader.GetInt16(0);
        var identifier = reader.GetString(1);
        var nameKey = reader.GetString(3);
        var places = new List<DirectoryPlace>();
        if (!reader.IsDBNull(9))
        {
            var finess = reader.GetFieldValue<string[]>(9);
            var names = reader.GetFieldValue<string[]>(10);
            var towns = reader.GetFieldValue<string?[]>(11);
            var departements = reader.GetFieldValue<string?[]>(12);
            for (var i = 0; i < finess.Length; i++)
            {
                places.Add(new DirectoryPlace(finess[i], names[i], towns[i], departements[i]));
            }
        }
        var (town, departement) = kind == DirectoryEntryKind.Establishment
            ? (NullableString(reader, 7), NullableString(reader, 8))
            : places.Count > 0 ? (places[0].Town, places[0].Departement) : (null, null);
        return new DirectoryListing(kind, identifier, reader.GetString(2), NullableString(reader, 4), (ProfessionSector)reader.GetInt16(5),
            reader.GetBoolean(6), town, departement, places, new DirectoryCursor(nameKey, kind, identifier).Encode());
    }

    private static string? NullableString(NpgsqlDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);

    private static NpgsqlParameter<T[]> Array<T>(T[] values, NpgsqlDbType elementType) =>
        new() { TypedValue = values, NpgsqlDbType = NpgsqlDbType.Array | elementType };
}

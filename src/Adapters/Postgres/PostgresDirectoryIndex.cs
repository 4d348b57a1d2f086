using System.Text;
using Coffre.Application.Directory;
using Coffre.Domain.Access;
using Coffre.Domain.Directory;
using Npgsql;
using NpgsqlTypes;

namespace Coffre.Adapters.Postgres;

/// <summary>
/// The directory's search projection on PostgreSQL (tables <c>directory_entry</c>, <c>directory_prefix</c>,
/// <c>directory_membership</c>, migration 0012). A batch upsert is one transaction of five array statements (entries,
/// their name prefixes, professionals' memberships). A search is one statement: the page read in the search's order
/// after the cursor (keyset on <c>name_key, kind, identifier</c>) from the index that fits — the prefix index of the
/// name's longest word, else the entries' order, profession or sector index —, the other filters tested per row
/// (membership and département sets hashed once), stopping at the page's end; then each professional's active
/// memberships joined to their establishments' entries for the page's rows only.
/// </summary>
public sealed partial class PostgresDirectoryIndex(NpgsqlDataSource dataSource) : IDirectoryIndex
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
        var prefixes = rows.SelectMany((r, i) => DirectoryNames.IndexedPrefixes(nameKeys[i]).Select(p => (Prefix: p, NameKey: nameKeys[i], r.Kind, r.Identifier))).ToArray();
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
                    DELETE FROM directory_prefix p USING unnest($1::smallint[], $2::text[]) AS u(kind, identifier)
                    WHERE p.kind = u.kind AND p.identifier = u.identifier
                    """)
                {
                    Parameters =
                    {
                        Array(rows.Select(r => (short)r.Kind).ToArray(), NpgsqlDbType.Smallint),
                        Array(rows.Select(r => r.Identifier).ToArray(), NpgsqlDbType.Text),
                    },
                },
                new NpgsqlBatchCommand("""
                    INSERT INTO directory_prefix (prefix, name_key, kind, identifier)
                    SELECT * FROM unnest($1::text[], $2::text[], $3::smallint[], $4::text[]) ON CONFLICT DO NOTHING
                    """)
                {
                    Parameters =
                    {
                        Array(prefixes.Select(p => p.Prefix).ToArray(), NpgsqlDbType.Text),
                        Array(prefixes.Select(p => p.NameKey).ToArray(), NpgsqlDbType.Text),
                        Array(prefixes.Select(p => (short)p.Kind).ToArray(), NpgsqlDbType.Smallint),
                        Array(prefixes.Select(p => p.Identifier).ToArray(), NpgsqlDbType.Text),
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
            WITH gone_prefixes AS (DELETE FROM directory_prefix WHERE kind = $1 AND identifier = $2),
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
        // With a name, the page is read in order from the prefix index of its longest word (o = p); otherwise from the
        // entries (o = e). Either way o carries the sort key, so the cursor and the order apply to o's index.
        var named = query.NameWords.Count > 0;
        var where = new List<string>();
        if (named)
        {
            where.Add($"o.prefix = {Param(DirectoryNames.IndexedPrefix(query.NameWords[0]), NpgsqlDbType.Text)}");
            foreach (var word in query.NameWords.Where(w => w.Length > DirectoryNames.MaxIndexedPrefix || w != query.NameWords[0]))
            {
                // A word starts the name, or follows a space in it (normalized names hold letters, digits and single spaces only).
                var w = Param(word, NpgsqlDbType.Text);
                where.Add($"(starts_with(e.name_key, {w}) OR strpos(e.name_key, ' ' || {w}) > 0)");
            }
        }
        if (query.After is { } after)
        {
            where.Add($"(o.name_key, o.kind, o.identifier) > ({Param(after.NameKey, NpgsqlDbType.Text)}, {Param((short)after.Kind, NpgsqlDbType.Smallint)}, {Param(after.Identifier, NpgsqlDbType.Text)})");
        }
        if (query.Kind is { } kind)
        {
            where.Add($"o.kind = {(int)kind}");
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
            where.Add($"o.kind = 0 AND o.identifier IN (SELECT dm.identifier FROM directory_membership dm WHERE dm.finess = {Param(finess, NpgsqlDbType.Text)} AND {active})");
        }
        if (query.Departement is { } departement)
        {
            // Two uncorrelated sets tested per row (hashed once): the order index is walked and stops at the page's end.
            var dep = Param(departement, NpgsqlDbType.Text);
            var establishments = $"(o.kind = 1 AND o.identifier IN (SELECT x.identifier FROM directory_entry x WHERE x.kind = 1 AND x.departement = {dep}))";
            var professionals = $"(o.kind = 0 AND o.identifier IN (SELECT dm.identifier FROM directory_membership dm JOIN directory_entry x ON x.kind = 1 AND x.identifier = dm.finess WHERE x.departement = {dep} AND {active}))";
            where.Add(query.Kind switch
            {
                DirectoryEntryKind.Establishment => establishments,
                DirectoryEntryKind.Professional => professionals,
                _ => $"({establishments} OR {professionals})",
            });
        }
        var sql = new StringBuilder($"""
            WITH page AS (
                SELECT e.kind, e.identifier, e.display_name, e.name_key, e.profession_code, e.sector, e.suspended, e.town, e.departement
                FROM {(named ? "directory_prefix o JOIN directory_entry e ON e.kind = o.kind AND e.identifier = o.identifier" : "directory_entry e")}
            """);
        if (where.Count > 0)
        {
            sql.Append("\n    WHERE ").AppendJoin("\n      AND ", where.Select(On));
        }
        sql.Append($"""

                ORDER BY {On("o.name_key, o.kind, o.identifier")}
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

        // Without a name there is no prefix row: the order's columns are the entry's own.
        string On(string condition) => named ? condition : OrderSource().Replace(condition, "e.");
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"(?<![\w.])o\.")]
    private static partial System.Text.RegularExpressions.Regex OrderSource();

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

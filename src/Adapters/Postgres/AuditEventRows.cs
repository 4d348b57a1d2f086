using Coffre.Application.Audit;
using Npgsql;
using NpgsqlTypes;

namespace Coffre.Adapters.Postgres;

/// <summary>
/// Chained audit events as the parameters of one <c>unnest</c>, in <c>audit_event</c>'s column order: the one way
/// both writers of a chain (the audit log's batches and an activation's settlement) turn links into rows.
/// </summary>
internal static class AuditEventRows
{
    public const string Columns =
        "vault_id, seq, at, actor_kind, actor_id, actor_profession, action, operation, target, allowed, basis, reason, prev_hash, hash, count, first_at";

    private static readonly string[] Types =
        ["text", "bigint", "timestamptz", "smallint", "text", "text", "text", "text", "text", "boolean", "smallint", "smallint", "bytea", "bytea", "integer", "timestamptz"];

    /// <summary><c>$first::text[], …</c>: the typed arrays of <see cref="Columns"/>, for an <c>unnest</c> of the links given to <see cref="Parameters"/>.</summary>
    public static string Arguments(int first) => string.Join(", ", Types.Select((type, i) => $"${first + i}::{type}[]"));

    /// <summary>The arrays of <paramref name="links"/>' columns (events already normalised), in <see cref="Columns"/> order.</summary>
    public static NpgsqlParameter[] Parameters(IReadOnlyList<AuditChainLink> links)
    {
        var n = links.Count;
        var vaultIds = new string[n];
        var seqs = new long[n];
        var ats = new DateTimeOffset[n];
        var kinds = new short[n];
        var actorIds = new string[n];
        var professions = new string?[n];
        var actions = new string[n];
        var operations = new string[n];
        var targets = new string[n];
        var allowed = new bool[n];
        var bases = new short[n];
        var reasons = new short[n];
        var counts = new int[n];
        var firstAts = new DateTimeOffset?[n];
        var previous = new byte[n][];
        var hashes = new byte[n][];
        for (var i = 0; i < n; i++)
        {
            var link = links[i];
            var e = link.Event;
            vaultIds[i] = e.VaultId;
            seqs[i] = link.Sequence;
            ats[i] = e.At;
            kinds[i] = (short)e.ActorKind;
            actorIds[i] = e.ActorId;
            professions[i] = e.ActorProfession;
            actions[i] = ((char)e.Action).ToString();
            operations[i] = e.Operation;
            targets[i] = e.Target;
            allowed[i] = e.Allowed;
            bases[i] = (short)e.Basis;
            reasons[i] = (short)e.Reason;
            counts[i] = e.Count;
            firstAts[i] = e.FirstAt;
            previous[i] = link.PreviousHash;
            hashes[i] = link.Hash;
        }
        return
        [
            Array(vaultIds, NpgsqlDbType.Text),
            Array(seqs, NpgsqlDbType.Bigint),
            Array(ats, NpgsqlDbType.TimestampTz),
            Array(kinds, NpgsqlDbType.Smallint),
            Array(actorIds, NpgsqlDbType.Text),
            Array(professions, NpgsqlDbType.Text),
            Array(actions, NpgsqlDbType.Text),
            Array(operations, NpgsqlDbType.Text),
            Array(targets, NpgsqlDbType.Text),
            Array(allowed, NpgsqlDbType.Boolean),
            Array(bases, NpgsqlDbType.Smallint),
            Array(reasons, NpgsqlDbType.Smallint),
            Array(previous, NpgsqlDbType.Bytea),
            Array(hashes, NpgsqlDbType.Bytea),
            Array(counts, NpgsqlDbType.Integer),
            Array(firstAts, NpgsqlDbType.TimestampTz),
        ];
    }

    public static NpgsqlParameter<T[]> Array<T>(T[] values, NpgsqlDbType elementType) =>
        new() { TypedValue = values, NpgsqlDbType = NpgsqlDbType.Array | elementType };
}

using System.Text;

namespace Coffre.GraphQL.Schema;

/// <summary>Relay global ids: opaque base64url of <c>Type:localId</c>.</summary>
public static class GlobalId
{
    public static string Encode(string type, string localId) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes($"{type}:{localId}")).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public static (string Type, string LocalId)? Decode(string? id)
    {
        if (string.IsNullOrEmpty(id) || id.Length > 200)
        {
            return null;
        }
        try
        {
            var padded = id.Replace('-', '+').Replace('_', '/');
            padded += new string('=', (4 - padded.Length % 4) % 4);
            var text = Encoding.UTF8.GetString(Convert.FromBase64String(padded));
            var colon = text.IndexOf(':', StringComparison.Ordinal);
            return colon > 0 ? (text[..colon], text[(colon + 1)..]) : null;
        }
        catch (FormatException)
        {
            return null;
        }
    }

    /// <summary>A vault reference given as a global id or as the raw vault id (<c>v-…</c>).</summary>
    public static string? VaultId(string? id) =>
        Domain.Identifiers.Ids.IsVaultId(id) ? id : Decode(id) is ("Vault", var local) && Domain.Identifiers.Ids.IsVaultId(local) ? local : null;
}

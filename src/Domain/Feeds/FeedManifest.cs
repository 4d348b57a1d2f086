using System.Globalization;
using System.Text.Json;
using Coffre.Domain.Content;
using Coffre.Domain.Identifiers;
using Coffre.Domain.Text;

namespace Coffre.Domain.Feeds;

/// <summary>The rules of a feed's fields that both the API and the vault check.</summary>
public static class FeedRules
{
    public const int MaxExternalIdLength = 100;
    public const int MaxPartNameLength = 100;

    /// <summary>Null when <paramref name="externalId"/> is a usable idempotency key; else the rule.</summary>
    public static string? ExternalId(string? externalId) =>
        string.IsNullOrWhiteSpace(externalId) || externalId.Length > MaxExternalIdLength || externalId.Any(char.IsControl)
            ? $"must be 1 to {MaxExternalIdLength} characters, without control characters"
            : null;

    /// <summary>A part name: 1 to 100 of A–Z, a–z, 0–9, '.', '_', '-'.</summary>
    public static bool IsPartName(string? name) =>
        name is { Length: > 0 and <= MaxPartNameLength } && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-');
}

/// <summary>One document of a feed's manifest, checked (its person, metadata and content part).</summary>
public sealed record FeedItem(
    int Index,
    string ExternalId,
    string? Nir,
    string? VaultId,
    string Title,
    string ClassCode,
    string TypeCode,
    DateOnly? ServiceDate,
    bool MaskedFromProfessionals,
    bool MinorSecret,
    string Part,
    string Sha256,
    long Size);

/// <summary>An item of the manifest that breaks a rule: refused with VALIDATION, naming <c>items[i].field</c>.</summary>
public sealed record FeedItemError(int Index, string? ExternalId, string? Part, string Field, string Rule);

/// <summary>The manifest itself is unusable (not JSON, too many items, too many bytes…): the whole request is refused.</summary>
public sealed class FeedManifestException(string field, string rule) : Exception($"{field} {rule}")
{
    public string Field { get; } = field;
    public string Rule { get; } = rule;
}

/// <summary>
/// The <c>manifest</c> part of <c>POST /feeds/documents</c>: <c>{"items":[{externalId, nir | vaultId, title, classCode,
/// typeCode, serviceDate?, maskedFromProfessionals?, minorSecret?, part, sha256, size}, …]}</c>. Pure: parses, bounds
/// (items per request, declared bytes per request, one item per part name) and checks each item's fields, so a bad item
/// is refused alone while the others go on.
/// </summary>
public sealed record FeedManifest(IReadOnlyList<FeedItem> Items, IReadOnlyList<FeedItemError> Invalid)
{
    private static readonly HashSet<string> ItemProperties = new(StringComparer.Ordinal)
    {
        "externalId", "nir", "vaultId", "title", "classCode", "typeCode", "serviceDate", "maskedFromProfessionals", "minorSecret", "part", "sha256", "size",
    };

    /// <summary>Items in the manifest, valid or not.</summary>
    public int Count => Items.Count + Invalid.Count;

    /// <summary>Bytes the valid items declare (what the request will stream).</summary>
    public long DeclaredBytes => Items.Sum(i => i.Size);

    /// <summary>Parses and checks a manifest. Throws <see cref="FeedManifestException"/> when the request as a whole breaks a rule.</summary>
    public static FeedManifest Parse(ReadOnlySpan<byte> json, int maxItems, long maxRequestBytes, long maxDocumentBytes)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(json.ToArray(), new JsonDocumentOptions { MaxDepth = 8 });
        }
        catch (JsonException)
        {
            throw new FeedManifestException("manifest", "is not valid JSON");
        }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object || !doc.RootElement.TryGetProperty("items", out var items) || items.ValueKind != JsonValueKind.Array)
            {
                throw new FeedManifestException("items", "is required: an array of documents");
            }
            var count = items.GetArrayLength();
            if (count < 1 || count > maxItems)
            {
                throw new FeedManifestException("items", $"must hold 1 to {maxItems} documents (it holds {count}); send the rest in further requests");
            }
            var valid = new List<FeedItem>(count);
            var invalid = new List<FeedItemError>();
            var parts = new HashSet<string>(StringComparer.Ordinal);
            var index = 0;
            foreach (var element in items.EnumerateArray())
            {
                var item = Item(element, index, maxDocumentBytes, out var error);
                var part = item?.Part ?? error?.Part;
                if (part is not null && !parts.Add(part))
                {
                    throw new FeedManifestException($"items[{index}].part", $"'{part}' names a part another item already names; give each document its own part");
                }
                if (item is not null)
                {
                    valid.Add(item);
                }
                else
                {
                    invalid.Add(error!);
                }
                index++;
            }
            var manifest = new FeedManifest(valid, invalid);
            if (manifest.DeclaredBytes > maxRequestBytes)
            {
                throw new FeedManifestException("items", $"declare {manifest.DeclaredBytes} bytes in all, more than {maxRequestBytes} per request; split them over several requests");
            }
            return manifest;
        }
    }

    private static FeedItem? Item(JsonElement e, int i, long maxDocumentBytes, out FeedItemError? error)
    {
        error = null;
        if (e.ValueKind != JsonValueKind.Object)
        {
            error = new FeedItemError(i, null, null, $"items[{i}]", "must be an object");
            return null;
        }
        var externalId = String(e, "externalId");
        var part = String(e, "part");
        FeedItem? Fail(string field, string rule, out FeedItemError? err)
        {
            err = new FeedItemError(i, externalId, FeedRules.IsPartName(part) ? part : null, $"items[{i}].{field}", rule);
            return null;
        }
        foreach (var property in e.EnumerateObject())
        {
            if (!ItemProperties.Contains(property.Name))
            {
                return Fail(property.Name, "is not a property of a feed item (a typo would lose a masking flag): remove it", out error);
            }
        }
        if (FeedRules.ExternalId(externalId) is { } externalRule)
        {
            return Fail("externalId", externalRule, out error);
        }
        if (!FeedRules.IsPartName(part))
        {
            return Fail("part", $"must name the item's content part: 1 to {FeedRules.MaxPartNameLength} of A-Z, a-z, 0-9, '.', '_', '-'", out error);
        }
        var nir = String(e, "nir");
        var vaultId = String(e, "vaultId");
        if ((nir is null) == (vaultId is null))
        {
            return Fail(nir is null ? "nir" : "vaultId", "give exactly one of nir and vaultId to name the person", out error);
        }
        if (nir is not null && Identifiers.Nir.Validate(nir) is { } nirRule)
        {
            return Fail("nir", nirRule, out error);
        }
        if (vaultId is not null && !Ids.IsVaultId(vaultId))
        {
            return Fail("vaultId", "is not a vault id (v- and 20 base32 characters)", out error);
        }
        var title = String(e, "title");
        if (string.IsNullOrWhiteSpace(title) || title.Length > 200)
        {
            return Fail("title", "must be 1 to 200 characters", out error);
        }
        if (TextRules.Validate(title) is { } titleRule)
        {
            return Fail("title", titleRule, out error);
        }
        var classCode = String(e, "classCode");
        var typeCode = String(e, "typeCode");
        if (string.IsNullOrEmpty(typeCode))
        {
            return Fail("typeCode", "is required (JDV_J07)", out error);
        }
        if (string.IsNullOrEmpty(classCode))
        {
            return Fail("classCode", "is required (TRE_A03)", out error);
        }
        DateOnly? serviceDate = null;
        if (String(e, "serviceDate") is { } date)
        {
            if (!DateOnly.TryParseExact(date, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var parsed))
            {
                return Fail("serviceDate", "must be a date, YYYY-MM-DD", out error);
            }
            serviceDate = parsed;
        }
        var sha256 = Sha256Hex.Normalise(String(e, "sha256"));
        if (sha256 is null)
        {
            return Fail("sha256", "must be the content's SHA-256, 64 hexadecimal characters", out error);
        }
        if (!e.TryGetProperty("size", out var sizeElement) || !sizeElement.TryGetInt64(out var size) || size < 1 || size > maxDocumentBytes)
        {
            return Fail("size", $"must be the content's length, 1 to {maxDocumentBytes} bytes", out error);
        }
        if (!Bool(e, "maskedFromProfessionals", out var masked))
        {
            return Fail("maskedFromProfessionals", "must be true or false", out error);
        }
        if (!Bool(e, "minorSecret", out var secret))
        {
            return Fail("minorSecret", "must be true or false", out error);
        }
        return new FeedItem(i, externalId!, nir is null ? null : Identifiers.Nir.Normalise(nir), vaultId, title.Trim(), classCode, typeCode,
            serviceDate, masked, secret, part!, sha256, size);
    }

    private static string? String(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static bool Bool(JsonElement e, string name, out bool value)
    {
        value = false;
        if (!e.TryGetProperty(name, out var v) || v.ValueKind == JsonValueKind.Null)
        {
            return true;
        }
        if (v.ValueKind is JsonValueKind.True or JsonValueKind.False)
        {
            value = v.GetBoolean();
            return true;
        }
        return false;
    }
}

using System.Collections.Frozen;
using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using System.Text.RegularExpressions;
using System.Xml;

namespace Coffre.Domain.Access;

/// <summary>What a profession may do with a document type, per the habilitation matrix.</summary>
[GenerateSerializer, Alias("coffre.matrix-action")]
public enum MatrixAction
{
    Read = 0,
    Create = 1,
}

/// <summary>Whether a document type belongs to the health record or to the social side of the vault.</summary>
[GenerateSerializer, Alias("coffre.document-category")]
public enum DocumentCategory
{
    Health = 0,
    Social = 1,
}

/// <summary>One document type (typeCode, JDV_J07) of the matrix.</summary>
/// <param name="ClassCodes">The classCodes (TRE_A03) a document of this type may carry.</param>
[GenerateSerializer, Immutable, Alias("coffre.document-type-info")]
public sealed record DocumentTypeInfo(
    [property: Id(0)] string TypeCode,
    [property: Id(1)] string Label,
    [property: Id(2)] DocumentCategory Category,
    [property: Id(3)] IReadOnlyList<string> ClassCodes)
{
    /// <summary>Class 90 only: deposited by the person, never created by a profession.</summary>
    public bool PatientDepositedOnly => ClassCodes.Count == 1 && ClassCodes[0] == HabilitationMatrix.PatientDepositedClass;
}

/// <summary>One profession of the matrix, with its rules as written and as resolved to type codes.</summary>
[GenerateSerializer, Immutable, Alias("coffre.profession-info")]
public sealed record ProfessionInfo(
    [property: Id(0)] string Code,
    [property: Id(1)] string Label,
    [property: Id(2)] ProfessionSector Sector,
    [property: Id(3)] IReadOnlyList<string> ReadRules,
    [property: Id(4)] IReadOnlyList<string> CreateRules,
    [property: Id(5)] IReadOnlyList<string> ReadableTypes,
    [property: Id(6)] IReadOnlyList<string> CreatableTypes,
    [property: Id(7)] bool CanBreakGlass);

/// <summary>
/// One feed scope of the matrix: the establishment categories (FINESS category codes) whose systems may deposit the
/// listed document types through the bulk feed.
/// </summary>
[GenerateSerializer, Immutable, Alias("coffre.feed-scope-info")]
public sealed record FeedScopeInfo(
    [property: Id(0)] string Name,
    [property: Id(1)] string Label,
    [property: Id(2)] IReadOnlyList<string> Categories,
    [property: Id(3)] IReadOnlyList<string> TypeCodes);

/// <summary>The habilitation matrix file is wrong. <see cref="Errors"/> lists every problem, each naming its element.</summary>
public sealed class HabilitationMatrixException : FormatException
{
    public HabilitationMatrixException(IReadOnlyList<string> errors)
        : base("Invalid habilitation matrix: " + string.Join("; ", errors)) => Errors = errors;

    public IReadOnlyList<string> Errors { get; }
}

/// <summary>
/// The habilitation matrix: profession × document type (typeCode) → may read / may create, plus who may break the
/// glass and on which types, and (optional <c>feeds</c>) which types establishments of which FINESS categories feed. Versioned data (<c>Access/habilitation-matrix.json</c>, embedded as
/// <see cref="ResourceName"/>), validated when loaded. Immutable and thread-safe; <see cref="Default"/> is loaded once.
/// </summary>
/// <remarks>
/// Rules in the file: <c>*health</c> (every health type), <c>*social</c> (every social type), a typeCode, or
/// <c>-typeCode</c> (never that type; exclusions win). Lookups are ordinal (codes are case-sensitive).
/// </remarks>
public sealed partial class HabilitationMatrix
{
    public const string ResourceName = "habilitation-matrix.json";
    public const string PatientDepositedClass = "90";
    private const string AllHealth = "*health";
    private const string AllSocial = "*social";
    private static readonly TimeSpan MaxBreakGlassDuration = TimeSpan.FromHours(24);

    private static readonly Lazy<HabilitationMatrix> DefaultMatrix = new(LoadEmbedded, LazyThreadSafetyMode.ExecutionAndPublication);

    private readonly FrozenDictionary<string, int> _typeIndex;
    private readonly DocumentTypeInfo[] _types;
    private readonly FrozenDictionary<string, Entry> _professions;
    private readonly bool[] _emergency;
    private readonly FrozenDictionary<string, (FeedScopeInfo Scope, bool[] Types)> _feedByCategory;

    private HabilitationMatrix(
        string version,
        IReadOnlyDictionary<string, string> classCodes,
        DocumentTypeInfo[] types,
        List<Entry> professions,
        string[] emergencyScope,
        TimeSpan breakGlassMaxDuration,
        List<FeedScopeInfo> feedScopes,
        CareTeamRule careTeam)
    {
        CareTeam = careTeam;
        Version = version;
        ClassCodes = classCodes.ToFrozenDictionary(StringComparer.Ordinal);
        _types = types;
        _typeIndex = types.Select((t, i) => KeyValuePair.Create(t.TypeCode, i)).ToFrozenDictionary(StringComparer.Ordinal);
        _professions = professions.ToFrozenDictionary(p => p.Info.Code, StringComparer.Ordinal);
        _emergency = new bool[types.Length];
        foreach (var code in emergencyScope)
        {
            _emergency[_typeIndex[code]] = true;
        }

        EmergencyScope = Array.AsReadOnly(emergencyScope);
        BreakGlassMaxDuration = breakGlassMaxDuration;
        DocumentTypes = Array.AsReadOnly(types);
        Professions = professions.Select(p => p.Info).ToArray().AsReadOnly();
        BreakGlassProfessions = professions.Where(p => p.Info.CanBreakGlass).Select(p => p.Info.Code).ToArray().AsReadOnly();
        FeedScopes = feedScopes.ToArray().AsReadOnly();
        _feedByCategory = feedScopes
            .SelectMany(f =>
            {
                var allowed = new bool[types.Length];
                foreach (var code in f.TypeCodes)
                {
                    allowed[_typeIndex[code]] = true;
                }
                return f.Categories.Select(c => KeyValuePair.Create(c, (f, allowed)));
            })
            .ToFrozenDictionary(StringComparer.Ordinal);
    }

    /// <summary>The matrix embedded in this assembly, loaded and validated on first use.</summary>
    public static HabilitationMatrix Default => DefaultMatrix.Value;

    /// <summary>Version of the data, e.g. <c>2026.11-1</c>; recorded with access decisions and shown in the API.</summary>
    public string Version { get; }

    /// <summary>Known classCodes (TRE_A03) → label.</summary>
    public IReadOnlyDictionary<string, string> ClassCodes { get; }

    /// <summary>Every document type, in file order.</summary>
    public IReadOnlyList<DocumentTypeInfo> DocumentTypes { get; }

    /// <summary>Every profession, in file order.</summary>
    public IReadOnlyList<ProfessionInfo> Professions { get; }

    /// <summary>Type codes a break-glass session may open.</summary>
    public IReadOnlyList<string> EmergencyScope { get; }

    /// <summary>Profession codes allowed to break the glass.</summary>
    public IReadOnlyList<string> BreakGlassProfessions { get; }

    /// <summary>Longest break-glass session.</summary>
    public TimeSpan BreakGlassMaxDuration { get; }

    /// <summary>What establishments' systems may deposit through the bulk feed, by establishment category (file order).</summary>
    public IReadOnlyList<FeedScopeInfo> FeedScopes { get; }

    /// <summary>The feed scope of an establishment category, or null when its systems feed nothing.</summary>
    public FeedScopeInfo? FeedScopeOf(string? categoryCode) =>
        categoryCode is not null && _feedByCategory.TryGetValue(categoryCode, out var entry) ? entry.Scope : null;

    /// <summary>Whether an establishment of <paramref name="categoryCode"/> may feed documents of <paramref name="typeCode"/>. Unknown category or type: false.</summary>
    public bool AllowsFeed(string? categoryCode, string? typeCode) =>
        categoryCode is not null && typeCode is not null
        && _feedByCategory.TryGetValue(categoryCode, out var entry) && _typeIndex.TryGetValue(typeCode, out var i) && entry.Types[i];

    public bool TryGetProfession(string? code, [NotNullWhen(true)] out ProfessionInfo? profession)
    {
        if (code is not null && _professions.TryGetValue(code, out var entry))
        {
            profession = entry.Info;
            return true;
        }

        profession = null;
        return false;
    }

    /// <summary>The document type, or null when the matrix does not know it.</summary>
    public DocumentTypeInfo? DocumentType(string? typeCode) =>
        typeCode is not null && _typeIndex.TryGetValue(typeCode, out var i) ? _types[i] : null;

    public bool IsKnownType(string? typeCode) => typeCode is not null && _typeIndex.ContainsKey(typeCode);

    /// <summary>Whether <paramref name="classCode"/> is one of the classes allowed for <paramref name="typeCode"/>.</summary>
    public bool IsValidClassFor(string? typeCode, string? classCode)
    {
        if (classCode is null || DocumentType(typeCode) is not { } type)
        {
            return false;
        }

        foreach (var c in type.ClassCodes)
        {
            if (c == classCode)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Whether the matrix lets <paramref name="professionCode"/> read or create <paramref name="typeCode"/>. Unknown profession or type: false.</summary>
    public bool Allows(string? professionCode, MatrixAction action, string? typeCode)
    {
        if (professionCode is null || typeCode is null
            || !_professions.TryGetValue(professionCode, out var entry)
            || !_typeIndex.TryGetValue(typeCode, out var i))
        {
            return false;
        }

        return action switch
        {
            MatrixAction.Read => entry.Read[i],
            MatrixAction.Create => entry.Create[i],
            _ => false,
        };
    }

    public bool CanBreakGlass(string? professionCode) =>
        professionCode is not null && _professions.TryGetValue(professionCode, out var entry) && entry.Info.CanBreakGlass;

    /// <summary>Whether a break-glass session may open documents of this type.</summary>
    public bool IsInEmergencyScope(string? typeCode) =>
        typeCode is not null && _typeIndex.TryGetValue(typeCode, out var i) && _emergency[i];

    /// <summary>Loads the matrix embedded in this assembly (see <see cref="ResourceName"/>).</summary>
    public static HabilitationMatrix LoadEmbedded()
    {
        var assembly = typeof(HabilitationMatrix).Assembly;
        using var stream = assembly.GetManifestResourceStream(ResourceName)
            ?? throw new HabilitationMatrixException([$"embedded resource '{ResourceName}' is missing from {assembly.GetName().Name}"]);
        using var reader = new StreamReader(stream);
        return Parse(reader.ReadToEnd());
    }

    /// <summary>Parses and validates a matrix. Throws <see cref="HabilitationMatrixException"/> listing every problem.</summary>
    public static HabilitationMatrix Parse(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(json, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip });
        }
        catch (JsonException e)
        {
            throw new HabilitationMatrixException([$"not valid JSON (line {e.LineNumber + 1}): {e.Message}"]);
        }

        using (doc)
        {
            var errors = new List<string>();
            var matrix = new Parser(errors).Read(doc.RootElement);
            if (errors.Count > 0 || matrix is null)
            {
                throw new HabilitationMatrixException(errors.Count > 0 ? errors : ["the matrix could not be read"]);
            }

            return matrix;
        }
    }

    [GeneratedRegex(@"^\d{4}\.\d{2}-\d+$", RegexOptions.CultureInvariant)]
    private static partial Regex VersionPattern();

    private sealed record Entry(ProfessionInfo Info, bool[] Read, bool[] Create);

    private sealed partial class Parser(List<string> errors)
    {
        private static readonly string[] RootProperties = ["version", "classCodes", "documentTypes", "professions", "breakGlass", "feeds", "careTeam"];
        private static readonly string[] FeedProperties = ["label", "categories", "typeCodes"];
        private static readonly string[] TypeProperties = ["label", "category", "classCodes"];
        private static readonly string[] ProfessionProperties = ["label", "sector", "read", "create"];
        private static readonly string[] BreakGlassProperties = ["professions", "typeCodes", "maxDuration"];

        public HabilitationMatrix? Read(JsonElement root)
        {
            if (root.ValueKind != JsonValueKind.Object)
            {
                errors.Add("the root must be a JSON object");
                return null;
            }

            CheckProperties(root, "(root)", RootProperties);
            var version = ReadVersion(root);
            var classCodes = ReadClassCodes(root);
            var types = ReadTypes(root, classCodes);
            var index = new Dictionary<string, int>(StringComparer.Ordinal);
            for (var i = 0; i < types.Count; i++)
            {
                index[types[i].TypeCode] = i;
            }

            var professions = ReadProfessions(root, types, index);
            var (breakGlassProfessions, emergency, maxDuration) = ReadBreakGlass(root, professions, index);
            var feeds = ReadFeeds(root, types, index);
            var careTeam = ReadCareTeam(root);
            if (errors.Count > 0)
            {
                return null;
            }

            var entries = professions
                .Select(p => p with { Info = p.Info with { CanBreakGlass = breakGlassProfessions.Contains(p.Info.Code) } })
                .ToList();
            return new HabilitationMatrix(version!, classCodes, [.. types], entries, [.. emergency], maxDuration, feeds, careTeam);
        }

        /// <summary>
        /// Optional <c>feeds</c>: name → { label, categories, typeCodes }. A category belongs to one scope at most; a
        /// type must be known and not one only the person deposits.
        /// </summary>
        private List<FeedScopeInfo> ReadFeeds(JsonElement root, List<DocumentTypeInfo> types, Dictionary<string, int> index)
        {
            var result = new List<FeedScopeInfo>();
            if (!root.TryGetProperty("feeds", out var obj))
            {
                return result;
            }
            if (obj.ValueKind != JsonValueKind.Object)
            {
                errors.Add("feeds: must be a JSON object (scope name → label, categories, typeCodes)");
                return result;
            }

            var categoryOwner = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var p in obj.EnumerateObject())
            {
                if (p.Name is "notes" or "$comment")
                {
                    continue;
                }
                var path = "feeds." + p.Name;
                if (!IsCode(p.Name) || p.Value.ValueKind != JsonValueKind.Object)
                {
                    errors.Add($"{path}: a scope must have a name without spaces and be an object with label, categories and typeCodes");
                    continue;
                }

                CheckProperties(p.Value, path, FeedProperties);
                var label = ReadLabel(p.Value, path);
                var categories = ReadStrings(p.Value, "categories", path) ?? [];
                var typeCodes = ReadStrings(p.Value, "typeCodes", path) ?? [];
                for (var i = 0; i < categories.Count; i++)
                {
                    if (!categoryOwner.TryAdd(categories[i], p.Name))
                    {
                        errors.Add($"{path}.categories[{i}]: category '{categories[i]}' is already in feed scope '{categoryOwner[categories[i]]}'");
                    }
                }
                var seen = new HashSet<string>(StringComparer.Ordinal);
                for (var i = 0; i < typeCodes.Count; i++)
                {
                    var at = $"{path}.typeCodes[{i}]";
                    if (!index.TryGetValue(typeCodes[i], out var t))
                    {
                        errors.Add($"{at}: unknown typeCode '{typeCodes[i]}'");
                    }
                    else if (types[t].PatientDepositedOnly)
                    {
                        errors.Add($"{at}: '{typeCodes[i]}' is deposited by the person only (class {PatientDepositedClass} only); no establishment feeds it");
                    }
                    else if (!seen.Add(typeCodes[i]))
                    {
                        errors.Add($"{at}: typeCode '{typeCodes[i]}' is listed twice");
                    }
                }
                if (label is not null)
                {
                    result.Add(new FeedScopeInfo(p.Name, label, categories.ToArray().AsReadOnly(), typeCodes.ToArray().AsReadOnly()));
                }
            }

            return result;
        }

        private string? ReadVersion(JsonElement root)
        {
            if (!root.TryGetProperty("version", out var v) || v.ValueKind != JsonValueKind.String)
            {
                errors.Add("version: required, a string like \"2026.11-1\"");
                return null;
            }

            var version = v.GetString()!;
            if (!VersionPattern().IsMatch(version))
            {
                errors.Add($"version: '{version}' must look like YYYY.MM-n, e.g. \"2026.11-1\"");
            }

            return version;
        }

        private Dictionary<string, string> ReadClassCodes(JsonElement root)
        {
            var result = new Dictionary<string, string>(StringComparer.Ordinal);
            if (!TryGetObject(root, "classCodes", "classCodes", out var obj))
            {
                return result;
            }

            foreach (var p in obj.EnumerateObject())
            {
                var path = "classCodes." + p.Name;
                if (!IsCode(p.Name))
                {
                    errors.Add($"{path}: a class code must be non-empty, without spaces");
                }
                else if (result.ContainsKey(p.Name))
                {
                    errors.Add($"{path}: class code listed twice");
                }
                else if (p.Value.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(p.Value.GetString()))
                {
                    errors.Add($"{path}: the label must be a non-empty string");
                }
                else
                {
                    result[p.Name] = p.Value.GetString()!;
                }
            }

            if (result.Count == 0)
            {
                errors.Add("classCodes: at least one class code is required");
            }

            return result;
        }

        private List<DocumentTypeInfo> ReadTypes(JsonElement root, Dictionary<string, string> classCodes)
        {
            var result = new List<DocumentTypeInfo>();
            if (!TryGetObject(root, "documentTypes", "documentTypes", out var obj))
            {
                return result;
            }

            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var p in obj.EnumerateObject())
            {
                var path = "documentTypes." + p.Name;
                if (!IsCode(p.Name) || p.Name[0] is '-' or '*')
                {
                    errors.Add($"{path}: a typeCode must be non-empty, without spaces, and not start with '-' or '*'");
                    continue;
                }

                if (!seen.Add(p.Name))
                {
                    errors.Add($"{path}: typeCode listed twice");
                    continue;
                }

                if (p.Value.ValueKind != JsonValueKind.Object)
                {
                    errors.Add($"{path}: must be an object with label, category and classCodes");
                    continue;
                }

                CheckProperties(p.Value, path, TypeProperties);
                var label = ReadLabel(p.Value, path);
                DocumentCategory? category = null;
                if (!p.Value.TryGetProperty("category", out var c) || c.ValueKind != JsonValueKind.String)
                {
                    errors.Add($"{path}.category: required, \"health\" or \"social\"");
                }
                else
                {
                    category = c.GetString() switch
                    {
                        "health" => DocumentCategory.Health,
                        "social" => DocumentCategory.Social,
                        _ => null,
                    };
                    if (category is null)
                    {
                        errors.Add($"{path}.category: '{c.GetString()}' is neither \"health\" nor \"social\"");
                    }
                }

                var classes = ReadStrings(p.Value, "classCodes", path);
                if (classes is { Count: 0 })
                {
                    errors.Add($"{path}.classCodes: the type has no class; give at least one classCode");
                }

                for (var i = 0; classes is not null && i < classes.Count; i++)
                {
                    if (classCodes.Count > 0 && !classCodes.ContainsKey(classes[i]))
                    {
                        errors.Add($"{path}.classCodes[{i}]: unknown classCode '{classes[i]}' (not in classCodes)");
                    }
                }

                if (label is not null && category is not null && classes is { Count: > 0 })
                {
                    result.Add(new DocumentTypeInfo(p.Name, label, category.Value, classes.ToArray().AsReadOnly()));
                }
            }

            if (seen.Count == 0)
            {
                errors.Add("documentTypes: at least one document type is required");
            }

            return result;
        }

        private List<Entry> ReadProfessions(JsonElement root, List<DocumentTypeInfo> types, Dictionary<string, int> index)
        {
            var result = new List<Entry>();
            if (!TryGetObject(root, "professions", "professions", out var obj))
            {
                return result;
            }

            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var p in obj.EnumerateObject())
            {
                var path = "professions." + p.Name;
                if (!IsCode(p.Name))
                {
                    errors.Add($"{path}: a profession code must be non-empty, without spaces");
                    continue;
                }

                if (!seen.Add(p.Name))
                {
                    errors.Add($"{path}: profession listed twice");
                    continue;
                }

                if (p.Value.ValueKind != JsonValueKind.Object)
                {
                    errors.Add($"{path}: must be an object with label, sector, read and create");
                    continue;
                }

                CheckProperties(p.Value, path, ProfessionProperties);
                var label = ReadLabel(p.Value, path);
                ProfessionSector? sector = null;
                if (!p.Value.TryGetProperty("sector", out var s) || s.ValueKind != JsonValueKind.String)
                {
                    errors.Add($"{path}.sector: required, \"Health\", \"Social\" or \"MedicoSocial\"");
                }
                else
                {
                    sector = s.GetString() switch
                    {
                        "Health" => ProfessionSector.Health,
                        "Social" => ProfessionSector.Social,
                        "MedicoSocial" => ProfessionSector.MedicoSocial,
                        _ => null,
                    };
                    if (sector is null)
                    {
                        errors.Add($"{path}.sector: '{s.GetString()}' is not \"Health\", \"Social\" or \"MedicoSocial\"");
                    }
                }

                var readRules = ReadStrings(p.Value, "read", path);
                var createRules = ReadStrings(p.Value, "create", path);
                var read = Resolve(readRules, path + ".read", sector, types, index);
                var create = Resolve(createRules, path + ".create", sector, types, index);
                for (var i = 0; i < create.Length; i++)
                {
                    if (create[i] && types[i].PatientDepositedOnly)
                    {
                        errors.Add($"{path}.create: grants '{types[i].TypeCode}', which only the person deposits (class {PatientDepositedClass} only); exclude it with \"-{types[i].TypeCode}\"");
                    }
                }

                if (label is null || sector is null || readRules is null || createRules is null)
                {
                    continue;
                }

                var info = new ProfessionInfo(
                    p.Name,
                    label,
                    sector.Value,
                    readRules.ToArray().AsReadOnly(),
                    createRules.ToArray().AsReadOnly(),
                    Types(read, types),
                    Types(create, types),
                    CanBreakGlass: false);
                result.Add(new Entry(info, read, create));
            }

            if (seen.Count == 0)
            {
                errors.Add("professions: at least one profession is required");
            }

            return result;
        }

        private bool[] Resolve(List<string>? rules, string path, ProfessionSector? sector, List<DocumentTypeInfo> types, Dictionary<string, int> index)
        {
            var allowed = new bool[types.Count];
            if (rules is null)
            {
                return allowed;
            }

            var excluded = new List<(int Rule, int Type)>();
            var seen = new HashSet<string>(StringComparer.Ordinal);
            for (var r = 0; r < rules.Count; r++)
            {
                var rule = rules[r];
                var at = $"{path}[{r}]";
                if (!seen.Add(rule))
                {
                    errors.Add($"{at}: rule '{rule}' is listed twice");
                    continue;
                }

                if (rule is AllHealth or AllSocial)
                {
                    var category = rule == AllHealth ? DocumentCategory.Health : DocumentCategory.Social;
                    if (category == DocumentCategory.Health && sector is ProfessionSector.Social or ProfessionSector.MedicoSocial)
                    {
                        errors.Add($"{at}: a {sector} profession may not use '{AllHealth}'; name the health types it may see one by one");
                        continue;
                    }

                    for (var i = 0; i < types.Count; i++)
                    {
                        allowed[i] |= types[i].Category == category;
                    }
                }
                else if (rule.StartsWith('*'))
                {
                    errors.Add($"{at}: unknown wildcard '{rule}' (use '{AllHealth}' or '{AllSocial}')");
                }
                else if (rule.StartsWith('-'))
                {
                    var code = rule[1..];
                    if (index.TryGetValue(code, out var i))
                    {
                        excluded.Add((r, i));
                    }
                    else
                    {
                        errors.Add($"{at}: exclusion '{rule}' names unknown typeCode '{code}'");
                    }
                }
                else if (index.TryGetValue(rule, out var i))
                {
                    allowed[i] = true;
                }
                else
                {
                    errors.Add($"{at}: unknown typeCode '{rule}'");
                }
            }

            foreach (var (r, i) in excluded)
            {
                if (!allowed[i])
                {
                    errors.Add($"{path}[{r}]: exclusion '{rules[r]}' has no effect (nothing in this list grants '{types[i].TypeCode}')");
                }
            }

            foreach (var (_, i) in excluded)
            {
                allowed[i] = false;
            }

            return allowed;
        }

        private (HashSet<string> Professions, List<string> TypeCodes, TimeSpan MaxDuration) ReadBreakGlass(
            JsonElement root, List<Entry> professions, Dictionary<string, int> index)
        {
            var eligible = new HashSet<string>(StringComparer.Ordinal);
            var scope = new List<string>();
            var duration = TimeSpan.Zero;
            if (!TryGetObject(root, "breakGlass", "breakGlass", out var obj))
            {
                return (eligible, scope, duration);
            }

            CheckProperties(obj, "breakGlass", BreakGlassProperties);
            var codes = ReadStrings(obj, "professions", "breakGlass") ?? [];
            for (var i = 0; i < codes.Count; i++)
            {
                var at = $"breakGlass.professions[{i}]";
                var entry = professions.Find(p => p.Info.Code == codes[i]);
                if (entry is null)
                {
                    errors.Add($"{at}: unknown profession '{codes[i]}'");
                }
                else if (entry.Info.Sector != ProfessionSector.Health)
                {
                    errors.Add($"{at}: profession '{codes[i]}' is {entry.Info.Sector}; only health professions may break the glass");
                }
                else if (!eligible.Add(codes[i]))
                {
                    errors.Add($"{at}: profession '{codes[i]}' is listed twice");
                }
            }

            var typeCodes = ReadStrings(obj, "typeCodes", "breakGlass") ?? [];
            for (var i = 0; i < typeCodes.Count; i++)
            {
                var at = $"breakGlass.typeCodes[{i}]";
                if (!index.ContainsKey(typeCodes[i]))
                {
                    errors.Add($"{at}: unknown typeCode '{typeCodes[i]}'");
                }
                else if (scope.Contains(typeCodes[i]))
                {
                    errors.Add($"{at}: typeCode '{typeCodes[i]}' is listed twice");
                }
                else
                {
                    scope.Add(typeCodes[i]);
                }
            }

            if (!obj.TryGetProperty("maxDuration", out var d) || d.ValueKind != JsonValueKind.String)
            {
                errors.Add("breakGlass.maxDuration: required, an ISO 8601 duration such as \"PT1H\"");
            }
            else
            {
                try
                {
                    duration = XmlConvert.ToTimeSpan(d.GetString()!);
                }
                catch (Exception e) when (e is FormatException or OverflowException)
                {
                    errors.Add($"breakGlass.maxDuration: '{d.GetString()}' is not an ISO 8601 duration such as \"PT1H\"");
                    return (eligible, scope, duration);
                }

                if (duration <= TimeSpan.Zero || duration > MaxBreakGlassDuration)
                {
                    errors.Add($"breakGlass.maxDuration: '{d.GetString()}' must be more than zero and at most PT24H");
                }
            }

            return (eligible, scope, duration);
        }

        private static IReadOnlyList<string> Types(bool[] allowed, List<DocumentTypeInfo> types)
        {
            var result = new List<string>();
            for (var i = 0; i < allowed.Length; i++)
            {
                if (allowed[i])
                {
                    result.Add(types[i].TypeCode);
                }
            }

            return result.ToArray().AsReadOnly();
        }

        private string? ReadLabel(JsonElement obj, string path)
        {
            if (obj.TryGetProperty("label", out var l) && l.ValueKind == JsonValueKind.String && !string.IsNullOrWhiteSpace(l.GetString()))
            {
                return l.GetString();
            }

            errors.Add($"{path}.label: required, a non-empty string");
            return null;
        }

        private List<string>? ReadStrings(JsonElement obj, string name, string path)
        {
            if (!obj.TryGetProperty(name, out var array) || array.ValueKind != JsonValueKind.Array)
            {
                errors.Add($"{path}.{name}: required, an array of strings");
                return null;
            }

            var result = new List<string>();
            var i = 0;
            foreach (var item in array.EnumerateArray())
            {
                if (item.ValueKind != JsonValueKind.String || !IsCode(item.GetString()))
                {
                    errors.Add($"{path}.{name}[{i}]: must be a non-empty string without spaces");
                }
                else
                {
                    result.Add(item.GetString()!);
                }

                i++;
            }

            return result;
        }

        private bool TryGetObject(JsonElement parent, string name, string path, out JsonElement obj)
        {
            if (parent.TryGetProperty(name, out obj) && obj.ValueKind == JsonValueKind.Object)
            {
                return true;
            }

            errors.Add($"{path}: required, a JSON object");
            return false;
        }

        /// <summary>Unknown properties are typos until proven otherwise; "notes" and "$comment" are free text anywhere.</summary>
        private void CheckProperties(JsonElement obj, string path, string[] known)
        {
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var p in obj.EnumerateObject())
            {
                if (!seen.Add(p.Name))
                {
                    errors.Add($"{path}.{p.Name}: property listed twice");
                }
                else if (p.Name is not ("notes" or "$comment" or "$schema") && Array.IndexOf(known, p.Name) < 0)
                {
                    errors.Add($"{path}.{p.Name}: unknown property (expected {string.Join(", ", known)})");
                }
            }
        }

        private static bool IsCode(string? value) =>
            !string.IsNullOrEmpty(value) && !value.Any(char.IsWhiteSpace);
    }
}

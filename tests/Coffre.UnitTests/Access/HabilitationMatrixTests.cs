using Coffre.Domain.Access;
using Xunit;

namespace Coffre.UnitTests.Access;

public sealed class HabilitationMatrixTests
{
    private static readonly HabilitationMatrix Matrix = HabilitationMatrix.Default;

    // ---- An independent restatement of the matrix, written from the rules, not from the file. ----

    // The medical profile's sections (issue 14): health types of class 11.
    private const string Treatments = "PROFILE-TREATMENTS", Conditions = "PROFILE-CONDITIONS", Allergies = "PROFILE-ALLERGIES",
        Vaccinations = "PROFILE-VACCINATIONS", Measurements = "PROFILE-MEASUREMENTS";

    private static readonly string[] ProfileTypes = [Treatments, Conditions, Allergies, Vaccinations, Measurements];

    private static readonly string[] HealthTypes =
    [
        "11490-0", "34112-3", "11502-2", "18748-4", "57833-6", "57832-8", "60593-1", "34133-9", "60591-5", "18776-5",
        "15508-5", "EXPPAT_3", "42348-3", "83981-1", "88348-8",
        "DOCPAT01", "DOCPAT02", "DOCPAT03", "DOCPAT04", "DOCPAT05", "DOCPAT06", "DOCPAT07", "DOCPAT08",
        .. ProfileTypes,
    ];

    private static readonly string[] SocialTypes =
        ["DOCPAT09", "28653-4", "ATTEST-DROITS-AM", "ATTEST-ASS-COMPL", "ATTEST-RESID", "ATTEST-HEBGT", "PIECE-IDENTITE"];

    private static readonly string[] CoverageAttestations = ["ATTEST-DROITS-AM", "ATTEST-ASS-COMPL"];
    private static readonly string[] AdvanceDirectives = ["EXPPAT_3", "42348-3"];
    private static readonly string[] SocialCreatable = ["28653-4", "ATTEST-DROITS-AM", "ATTEST-ASS-COMPL", "ATTEST-RESID", "ATTEST-HEBGT", "PIECE-IDENTITE"];

    private static bool IsHealth(string type) => HealthTypes.Contains(type);

    private static bool IsSocial(string type) => SocialTypes.Contains(type);

    private static bool ExpectedRead(string profession, string type) => profession switch
    {
        "10" or "21" or "50" or "60" or "70" => IsHealth(type) || CoverageAttestations.Contains(type),
        "40" => (IsHealth(type) && !AdvanceDirectives.Contains(type)) || CoverageAttestations.Contains(type),
        "80" => (IsHealth(type) && type != "15508-5") || CoverageAttestations.Contains(type),
        "SOC-AS" => IsSocial(type) || type is "11490-0" or "83981-1",
        "SOC-ES" => IsSocial(type) || type is "83981-1",
        "SOC-CESF" => IsSocial(type),
        "MS-AES" => IsSocial(type) || type is "11490-0" or "83981-1" or "88348-8" or Allergies,
        "MS-AS" => IsSocial(type) || type is "11490-0" or "83981-1" or "88348-8" or "18776-5" or Allergies or Measurements,
        _ => throw new ArgumentOutOfRangeException(nameof(profession), profession, "not in the restatement"),
    };

    private static bool ExpectedCreate(string profession, string type) => profession switch
    {
        "10" => type is "11490-0" or "34112-3" or "11502-2" or "18748-4" or "57833-6" or "57832-8" or "34133-9"
            or "60591-5" or "18776-5" or "15508-5" or "EXPPAT_3" or "42348-3" or "83981-1" or "88348-8" || ProfileTypes.Contains(type),
        "21" => type is "60593-1" or "11502-2" or Treatments or Allergies or Vaccinations or Measurements,
        "40" => type is "11490-0" or "18748-4" or "57833-6" or Treatments or Allergies,
        "50" => type is "11490-0" or "34112-3" or "57833-6" or "57832-8" or "34133-9" or "18776-5" or "15508-5" || ProfileTypes.Contains(type),
        "60" => type is "11490-0" or "18776-5" or "83981-1" or "88348-8" or Vaccinations or Measurements or Allergies,
        "70" or "80" => type is "11490-0" or "18776-5" or Measurements,
        "SOC-AS" or "SOC-ES" or "SOC-CESF" => SocialCreatable.Contains(type),
        "MS-AES" => SocialCreatable.Contains(type) || type == "88348-8",
        "MS-AS" => type is "28653-4" or "88348-8" or Measurements,
        _ => throw new ArgumentOutOfRangeException(nameof(profession), profession, "not in the restatement"),
    };

    [Fact]
    public void Embedded_matrix_loads_with_its_version()
    {
        Assert.Equal("2026.12-2", Matrix.Version);
        Assert.Same(Matrix, HabilitationMatrix.Default);
        Assert.Equal(Matrix.Version, HabilitationMatrix.LoadEmbedded().Version);
    }

    [Fact]
    public void Document_types_are_exactly_the_restated_ones_with_their_category()
    {
        var expected = HealthTypes.Concat(SocialTypes).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(expected, Matrix.DocumentTypes.Select(t => t.TypeCode).Order(StringComparer.Ordinal).ToArray());
        foreach (var type in Matrix.DocumentTypes)
        {
            var category = IsHealth(type.TypeCode) ? DocumentCategory.Health : DocumentCategory.Social;
            Assert.Equal(category, type.Category);
            Assert.NotEmpty(type.ClassCodes);
            Assert.All(type.ClassCodes, c => Assert.True(Matrix.ClassCodes.ContainsKey(c), $"{type.TypeCode}: class {c}"));
        }
    }

    [Fact]
    public void Professions_are_the_seven_rpps_codes_and_coffre_social_codes()
    {
        Assert.Equal(
            new[] { "10", "21", "40", "50", "60", "70", "80", "SOC-AS", "SOC-ES", "SOC-CESF", "MS-AES", "MS-AS" },
            Matrix.Professions.Select(p => p.Code).ToArray());
    }

    [Theory]
    [InlineData("10")]
    [InlineData("21")]
    [InlineData("40")]
    [InlineData("50")]
    [InlineData("60")]
    [InlineData("70")]
    [InlineData("80")]
    [InlineData("SOC-AS")]
    [InlineData("SOC-ES")]
    [InlineData("SOC-CESF")]
    [InlineData("MS-AES")]
    [InlineData("MS-AS")]
    public void Every_type_read_and_create_matches_the_restatement(string profession)
    {
        var mismatches = new List<string>();
        foreach (var type in Matrix.DocumentTypes.Select(t => t.TypeCode))
        {
            if (Matrix.Allows(profession, MatrixAction.Read, type) != ExpectedRead(profession, type))
            {
                mismatches.Add($"read {type}: expected {ExpectedRead(profession, type)}");
            }

            if (Matrix.Allows(profession, MatrixAction.Create, type) != ExpectedCreate(profession, type))
            {
                mismatches.Add($"create {type}: expected {ExpectedCreate(profession, type)}");
            }
        }

        Assert.Empty(mismatches);
        Assert.True(Matrix.TryGetProfession(profession, out var info));
        Assert.NotNull(info);
        Assert.Equal(HealthTypes.Concat(SocialTypes).Where(t => ExpectedRead(profession, t)).Order(StringComparer.Ordinal), info.ReadableTypes.Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData("40", "EXPPAT_3", MatrixAction.Read, false)] // dentist: no advance directives
    [InlineData("40", "42348-3", MatrixAction.Read, false)]
    [InlineData("40", "11502-2", MatrixAction.Read, true)]
    [InlineData("10", "EXPPAT_3", MatrixAction.Read, true)]
    [InlineData("80", "15508-5", MatrixAction.Read, false)] // podiatrist: no delivery report
    [InlineData("80", "57832-8", MatrixAction.Read, true)] // 57832-8 is "Prescription de soins" in JDV_J07
    [InlineData("50", "15508-5", MatrixAction.Read, true)]
    [InlineData("SOC-AS", "11502-2", MatrixAction.Read, false)] // social: no biology
    [InlineData("SOC-AS", "18748-4", MatrixAction.Read, false)] // social: no imaging
    [InlineData("MS-AES", "11502-2", MatrixAction.Read, false)]
    [InlineData("SOC-AS", "11490-0", MatrixAction.Read, true)]
    [InlineData("SOC-AS", "83981-1", MatrixAction.Read, true)]
    [InlineData("SOC-CESF", "11490-0", MatrixAction.Read, false)]
    [InlineData("SOC-AS", "ATTEST-DROITS-AM", MatrixAction.Read, true)] // social sees ATTEST-*
    [InlineData("SOC-ES", "ATTEST-RESID", MatrixAction.Read, true)]
    [InlineData("SOC-CESF", "ATTEST-HEBGT", MatrixAction.Read, true)]
    [InlineData("MS-AS", "ATTEST-ASS-COMPL", MatrixAction.Read, true)]
    [InlineData("10", "ATTEST-DROITS-AM", MatrixAction.Read, true)]
    [InlineData("10", "ATTEST-RESID", MatrixAction.Read, false)]
    [InlineData("10", "PIECE-IDENTITE", MatrixAction.Read, false)]
    [InlineData("10", "28653-4", MatrixAction.Read, false)]
    [InlineData("21", "60593-1", MatrixAction.Create, true)]
    [InlineData("10", "60593-1", MatrixAction.Create, false)]
    [InlineData("10", "DOCPAT03", MatrixAction.Create, false)] // patient-deposited only
    [InlineData("SOC-AS", "DOCPAT09", MatrixAction.Create, false)]
    [InlineData("SOC-AS", "PIECE-IDENTITE", MatrixAction.Create, true)]
    [InlineData("MS-AES", "88348-8", MatrixAction.Create, true)]
    [InlineData("99", "11490-0", MatrixAction.Read, false)] // unknown profession
    [InlineData("10", "00000-0", MatrixAction.Read, false)] // unknown type
    [InlineData("10", "11490-0", (MatrixAction)7, false)] // unknown action
    [InlineData(null, "11490-0", MatrixAction.Read, false)]
    [InlineData("10", null, MatrixAction.Read, false)]
    public void Allows_answers_the_documented_examples(string? profession, string? type, MatrixAction action, bool expected) =>
        Assert.Equal(expected, Matrix.Allows(profession, action, type));

    [Fact]
    public void Nobody_creates_patient_deposited_types()
    {
        foreach (var profession in Matrix.Professions)
        {
            foreach (var type in Matrix.DocumentTypes.Where(t => t.PatientDepositedOnly))
            {
                Assert.False(Matrix.Allows(profession.Code, MatrixAction.Create, type.TypeCode), $"{profession.Code} creates {type.TypeCode}");
            }
        }
    }

    [Theory]
    [InlineData("10", "Médecin", ProfessionSector.Health, true)]
    [InlineData("21", "Pharmacien", ProfessionSector.Health, false)]
    [InlineData("40", "Chirurgien-dentiste", ProfessionSector.Health, false)]
    [InlineData("50", "Sage-femme", ProfessionSector.Health, true)]
    [InlineData("60", "Infirmier", ProfessionSector.Health, true)]
    [InlineData("70", "Masseur-kinésithérapeute", ProfessionSector.Health, false)]
    [InlineData("80", "Pédicure-podologue", ProfessionSector.Health, false)]
    [InlineData("SOC-AS", "Assistant de service social", ProfessionSector.Social, false)]
    [InlineData("SOC-ES", "Éducateur spécialisé", ProfessionSector.Social, false)]
    [InlineData("SOC-CESF", "Conseiller en économie sociale et familiale", ProfessionSector.Social, false)]
    [InlineData("MS-AES", "Accompagnant éducatif et social", ProfessionSector.MedicoSocial, false)]
    [InlineData("MS-AS", "Aide-soignant", ProfessionSector.MedicoSocial, false)]
    public void Professions_have_label_sector_and_break_glass_right(string code, string label, ProfessionSector sector, bool breakGlass)
    {
        Assert.True(Matrix.TryGetProfession(code, out var info));
        Assert.NotNull(info);
        Assert.Equal(label, info.Label);
        Assert.Equal(sector, info.Sector);
        Assert.Equal(breakGlass, info.CanBreakGlass);
        Assert.Equal(breakGlass, Matrix.CanBreakGlass(code));
    }

    [Theory]
    [InlineData("99")]
    [InlineData("")]
    [InlineData("soc-as")] // codes are case-sensitive
    [InlineData(null)]
    public void Unknown_professions_are_not_found(string? code)
    {
        Assert.False(Matrix.TryGetProfession(code, out var info));
        Assert.Null(info);
        Assert.False(Matrix.CanBreakGlass(code));
    }

    [Theory]
    [InlineData("11490-0", "10", true)]
    [InlineData("11490-0", "11", true)]
    [InlineData("11490-0", "42", false)]
    [InlineData("60593-1", "43", true)]
    [InlineData("57833-6", "42", true)]
    [InlineData("18776-5", "44", true)]
    [InlineData("DOCPAT01", "90", true)]
    [InlineData("DOCPAT01", "10", false)]
    [InlineData("ATTEST-DROITS-AM", "52", true)]
    [InlineData("ATTEST-DROITS-AM", "90", true)]
    [InlineData("ATTEST-DROITS-AM", "10", false)]
    [InlineData("28653-4", "52", true)]
    [InlineData("00000-0", "10", false)]
    [InlineData("11490-0", null, false)]
    public void Class_codes_are_checked_per_type(string typeCode, string? classCode, bool expected) =>
        Assert.Equal(expected, Matrix.IsValidClassFor(typeCode, classCode));

    [Fact]
    public void Document_type_lookup()
    {
        var type = Matrix.DocumentType("15508-5");
        Assert.NotNull(type);
        Assert.Equal("CR d'accouchement", type.Label);
        Assert.Equal(DocumentCategory.Health, type.Category);
        Assert.True(Matrix.IsKnownType("PIECE-IDENTITE"));
        Assert.False(Matrix.IsKnownType("00000-0"));
        Assert.Null(Matrix.DocumentType("00000-0"));
        Assert.Null(Matrix.DocumentType(null));
    }

    [Fact]
    public void Break_glass_scope_professions_and_duration()
    {
        Assert.Equal(new[] { "10", "50", "60" }, Matrix.BreakGlassProfessions);
        Assert.Equal(new[] { "60591-5", "34133-9", "EXPPAT_3", "42348-3", "11502-2", "PROFILE-ALLERGIES", "PROFILE-TREATMENTS", "PROFILE-CONDITIONS", "PROFILE-VACCINATIONS" }, Matrix.EmergencyScope);
        Assert.Equal(TimeSpan.FromHours(1), Matrix.BreakGlassMaxDuration);
        Assert.True(Matrix.IsInEmergencyScope("60591-5"));
        Assert.False(Matrix.IsInEmergencyScope("11490-0"));
        Assert.False(Matrix.IsInEmergencyScope("00000-0"));
        foreach (var profession in Matrix.BreakGlassProfessions)
        {
            Assert.All(Matrix.EmergencyScope, t => Assert.True(Matrix.Allows(profession, MatrixAction.Read, t), $"{profession} cannot read {t}"));
        }
    }

    // ---- Parse: a small valid matrix, and one mutation per row that must be reported by name. ----

    private const string Template = """
        {
          "version": "2026.01-1",
          "notes": ["test matrix"],
          "classCodes": { "10": "Compte rendu", "52": "Certificat", "90": "Déposé" },
          "documentTypes": {
            "11490-0": { "label": "Lettre", "category": "health", "classCodes": ["10"] },
            "11502-2": { "label": "Bio", "category": "health", "classCodes": ["10"] },
            "ATTEST-RESID": { "label": "Résidence", "category": "social", "classCodes": ["52", "90"] },
            "DOCPAT09": { "label": "Admin", "category": "social", "classCodes": ["90"] }
          },
          "professions": {
            "10": { "label": "Médecin", "sector": "Health", "read": ["-11502-2", "*health"], "create": ["11490-0"] },
            "SOC-AS": { "label": "AS", "sector": "Social", "read": ["*social", "11490-0"], "create": ["ATTEST-RESID"] }
          },
          "breakGlass": { "professions": ["10"], "typeCodes": ["11490-0"], "maxDuration": "PT1H" }
        }
        """;

    [Fact]
    public void Template_parses_and_exclusions_win_whatever_their_place()
    {
        var m = HabilitationMatrix.Parse(Template);
        Assert.Equal("2026.01-1", m.Version);
        Assert.True(m.Allows("10", MatrixAction.Read, "11490-0"));
        Assert.False(m.Allows("10", MatrixAction.Read, "11502-2"));
        Assert.False(m.Allows("10", MatrixAction.Read, "ATTEST-RESID"));
        Assert.True(m.Allows("SOC-AS", MatrixAction.Read, "DOCPAT09"));
        Assert.True(m.Allows("SOC-AS", MatrixAction.Read, "11490-0"));
        Assert.False(m.Allows("SOC-AS", MatrixAction.Read, "11502-2"));
        Assert.True(m.CanBreakGlass("10"));
        Assert.False(m.CanBreakGlass("SOC-AS"));
    }

    [Theory]
    [InlineData("\"create\": [\"11490-0\"]", "\"create\": [\"11490-0\", \"99999-9\"]", "professions.10.create[1]: unknown typeCode '99999-9'")]
    [InlineData("\"label\": \"Lettre\", \"category\": \"health\", \"classCodes\": [\"10\"]", "\"label\": \"Lettre\", \"category\": \"health\", \"classCodes\": []", "documentTypes.11490-0.classCodes: the type has no class")]
    [InlineData("\"label\": \"Lettre\", \"category\": \"health\", \"classCodes\": [\"10\"]", "\"label\": \"Lettre\", \"category\": \"health\", \"classCodes\": [\"77\"]", "documentTypes.11490-0.classCodes[0]: unknown classCode '77'")]
    [InlineData("\"label\": \"Lettre\", \"category\": \"health\", \"classCodes\": [\"10\"]", "\"label\": \"Lettre\", \"category\": \"health\"", "documentTypes.11490-0.classCodes: required")]
    [InlineData("\"label\": \"Bio\", \"category\": \"health\"", "\"label\": \"Bio\", \"category\": \"medical\"", "documentTypes.11502-2.category: 'medical'")]
    [InlineData("\"sector\": \"Health\"", "\"sector\": \"Doctor\"", "professions.10.sector: 'Doctor'")]
    [InlineData("\"label\": \"Médecin\", ", "", "professions.10.label: required")]
    [InlineData("\"version\": \"2026.01-1\",", "", "version: required")]
    [InlineData("\"version\": \"2026.01-1\",", "\"version\": \"v1\",", "version: 'v1' must look like YYYY.MM-n")]
    [InlineData("[\"*social\", \"11490-0\"]", "[\"*social\", \"11490-0\", \"11490-0\"]", "professions.SOC-AS.read[2]: rule '11490-0' is listed twice")]
    [InlineData("\"-11502-2\"", "\"-11502-3\"", "professions.10.read[0]: exclusion '-11502-3' names unknown typeCode '11502-3'")]
    [InlineData("[\"*social\", \"11490-0\"]", "[\"*social\", \"11490-0\", \"-11502-2\"]", "professions.SOC-AS.read[2]: exclusion '-11502-2' has no effect")]
    [InlineData("[\"*social\", \"11490-0\"]", "[\"*health\", \"*social\"]", "professions.SOC-AS.read[0]: a Social profession may not use '*health'")]
    [InlineData("[\"*social\", \"11490-0\"]", "[\"*all\"]", "professions.SOC-AS.read[0]: unknown wildcard '*all'")]
    [InlineData("\"create\": [\"ATTEST-RESID\"]", "\"create\": [\"*social\"]", "professions.SOC-AS.create: grants 'DOCPAT09', which only the person deposits")]
    [InlineData("\"create\": [\"ATTEST-RESID\"]", "\"create\": \"ATTEST-RESID\"", "professions.SOC-AS.create: required, an array of strings")]
    [InlineData("\"sector\": \"Health\",", "\"sector\": \"Health\", \"reed\": [],", "professions.10.reed: unknown property")]
    [InlineData("\"professions\": [\"10\"]", "\"professions\": [\"10\", \"99\"]", "breakGlass.professions[1]: unknown profession '99'")]
    [InlineData("\"professions\": [\"10\"]", "\"professions\": [\"SOC-AS\"]", "breakGlass.professions[0]: profession 'SOC-AS' is Social")]
    [InlineData("\"typeCodes\": [\"11490-0\"]", "\"typeCodes\": [\"00000-0\"]", "breakGlass.typeCodes[0]: unknown typeCode '00000-0'")]
    [InlineData("\"PT1H\"", "\"one hour\"", "breakGlass.maxDuration: 'one hour' is not an ISO 8601 duration")]
    [InlineData("\"PT1H\"", "\"P2D\"", "breakGlass.maxDuration: 'P2D' must be more than zero and at most PT24H")]
    [InlineData("\"DOCPAT09\": {", "\"11502-2\": { \"label\": \"Bio 2\", \"category\": \"health\", \"classCodes\": [\"10\"] },\n    \"DOCPAT09\": {", "documentTypes.11502-2: typeCode listed twice")]
    [InlineData("\"breakGlass\": {", "\"breakGlass\": {{", "not valid JSON")]
    public void Parse_names_the_bad_element(string find, string replace, string expectedError)
    {
        Assert.Contains(find, Template, StringComparison.Ordinal);
        var json = Template.Replace(find, replace, StringComparison.Ordinal);
        var ex = Assert.Throws<HabilitationMatrixException>(() => HabilitationMatrix.Parse(json));
        Assert.Contains(ex.Errors, e => e.Contains(expectedError, StringComparison.Ordinal));
        Assert.Contains(expectedError, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_reports_every_problem_at_once()
    {
        var json = Template
            .Replace("\"sector\": \"Health\"", "\"sector\": \"Doctor\"", StringComparison.Ordinal)
            .Replace("\"typeCodes\": [\"11490-0\"]", "\"typeCodes\": [\"00000-0\"]", StringComparison.Ordinal);
        var ex = Assert.Throws<HabilitationMatrixException>(() => HabilitationMatrix.Parse(json));
        Assert.Contains(ex.Errors, e => e.StartsWith("professions.10.sector", StringComparison.Ordinal));
        Assert.Contains(ex.Errors, e => e.StartsWith("breakGlass.typeCodes[0]", StringComparison.Ordinal));
    }

    [Fact]
    public void Parse_rejects_a_non_object_root() =>
        Assert.Contains("root", Assert.Throws<HabilitationMatrixException>(() => HabilitationMatrix.Parse("[]")).Message, StringComparison.Ordinal);
}

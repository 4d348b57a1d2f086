using System.Globalization;
using Coffre.Domain.Access;
using Coffre.Domain.Identifiers;
using Coffre.Domain.Rollout;

namespace Coffre.Domain.Directory;

/// <summary>
/// A deterministic synthetic directory (same seed, same rows) for tests and benchmarks; never real data.
/// </summary>
/// <remarks>
/// <para>
/// Establishments: every fourth one (index 0, 4, 8…) is a legal entity and the three after it are its sites
/// (<c>partOf</c>); FINESS numbers are unique by construction — the département of establishment <c>i</c> is
/// <c>i mod 100</c> over 01–95, 2A, 2B, 971–974 (so a legal entity and its sites may lie in different départements, as
/// with national associations), then a serial <c>i div 100</c> over the remaining digits, then the Luhn check digit.
/// Towns and postal codes match the département; category and sector come from a small table of FINESS categories.
/// </para>
/// <para>
/// Professionals: identifier kind by index (≈ 70 % RPPS, 15 % ADELI, 15 % Coffre identifiers for social and
/// médico-social staff), each number an affine bijection of the index (unique), professions from the habilitation
/// matrix per kind, the profession's sector, French names with accents, 0 to 2 memberships of generated
/// establishments (≈ 10 % of them ended before <see cref="SyntheticPopulation.ReferenceDate"/>, ≈ 5 % admin).
/// Row <c>i</c> depends only on <c>(seed, i)</c>.
/// </para>
/// </remarks>
public static class SyntheticDirectory
{
    private static readonly string[] Departements = BuildDepartements();

    private static readonly (string Code, string Label, ProfessionSector Sector)[] Categories =
    [
        ("355", "Centre hospitalier", ProfessionSector.Health),
        ("124", "Centre de santé", ProfessionSector.Health),
        ("292", "Centre hospitalier spécialisé", ProfessionSector.Health),
        ("500", "EHPAD", ProfessionSector.MedicoSocial),
        ("183", "Institut médico-éducatif", ProfessionSector.MedicoSocial),
        ("255", "Maison d'accueil spécialisée", ProfessionSector.MedicoSocial),
        ("437", "Foyer d'accueil médicalisé", ProfessionSector.MedicoSocial),
        ("214", "Centre d'hébergement et de réinsertion sociale", ProfessionSector.Social),
        ("411", "Centre communal d'action sociale", ProfessionSector.Social),
        ("462", "Lieu de vie et d'accueil", ProfessionSector.Social),
    ];

    private static readonly string[] RppsProfessions = ["10", "10", "10", "21", "40", "50", "60", "60", "60", "70"];
    private static readonly string[] AdeliProfessions = ["60", "70", "80"];
    private static readonly string[] CoffreProfessions = ["SOC-AS", "SOC-ES", "SOC-CESF", "MS-AES", "MS-AS"];

    /// <summary>The most establishments with unique FINESS numbers (100 départements × 100 000 serials).</summary>
    public const long MaxEstablishments = 100L * 100_000;

    /// <summary>The most professionals with unique identifiers per kind.</summary>
    public const long MaxProfessionals = 100_000_000;

    public static IEnumerable<EstablishmentEntry> Establishments(long count, int seed = 42)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, MaxEstablishments);
        for (var i = 0L; i < count; i++)
        {
            yield return Establishment(i, seed);
        }
    }

    /// <summary>Establishment <paramref name="index"/>.</summary>
    public static EstablishmentEntry Establishment(long index, int seed = 42)
    {
        var r = Random(index, seed, 1);
        var department = Departements[index % Departements.Length];
        var legalEntity = index % 4 == 0;
        var category = Categories[(int)(r % (ulong)Categories.Length)];
        var town = SyntheticPopulation.Cities[(int)((r >> 8) % (ulong)SyntheticPopulation.Cities.Length)];
        var name = legalEntity ? $"Association {SyntheticPopulation.FamilyNames[(int)((r >> 16) % (ulong)SyntheticPopulation.FamilyNames.Length)]} de {town}" : $"{category.Label} de {town}";
        return new EstablishmentEntry(FinessOf(index), name, Site: !legalEntity, legalEntity ? null : FinessOf(index - (index % 4)),
            category.Code, category.Sector, town, PostalCode(department, r >> 24));
    }

    public static IEnumerable<ProfessionalEntry> Professionals(long count, long establishments, int seed = 42)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, MaxProfessionals);
        for (var i = 0L; i < count; i++)
        {
            yield return Professional(i, establishments, seed);
        }
    }

    /// <summary>Professional <paramref name="index"/>, member of some of the first <paramref name="establishments"/> establishments.</summary>
    public static ProfessionalEntry Professional(long index, long establishments, int seed = 42)
    {
        var r = Random(index, seed, 2);
        var bucket = index % 20;
        var serial = (index * 7_919L) % MaxProfessionals; // a bijection of [0, 10^8): 7919 is coprime with 10
        string identifier;
        string profession;
        if (bucket < 14)
        {
            identifier = WithLuhn("10" + serial.ToString("D8", CultureInfo.InvariantCulture));
            profession = RppsProfessions[(int)((r >> 4) % (ulong)RppsProfessions.Length)];
        }
        else if (bucket < 17)
        {
            identifier = WithLuhn(serial.ToString("D8", CultureInfo.InvariantCulture));
            profession = AdeliProfessions[(int)((r >> 4) % (ulong)AdeliProfessions.Length)];
        }
        else
        {
            identifier = WithLuhn(CoffreProfessionalId.Prefix + serial.ToString("D8", CultureInfo.InvariantCulture));
            profession = CoffreProfessions[(int)((r >> 4) % (ulong)CoffreProfessions.Length)];
        }
        HabilitationMatrix.Default.TryGetProfession(profession, out var info);
        var female = (r >> 12) % 2 == 0;
        var given = female ? SyntheticPopulation.FemaleGivenNames : SyntheticPopulation.MaleGivenNames;
        var name = $"{given[(int)((r >> 16) % (ulong)given.Length)]} {SyntheticPopulation.FamilyNames[(int)((r >> 24) % (ulong)SyntheticPopulation.FamilyNames.Length)]}";
        var memberships = new List<MembershipTerms>(2);
        var count = establishments == 0 ? 0 : (int)((r >> 32) % 10) switch { 0 => 0, < 8 => 1, _ => 2 };
        var r2 = Random(index, seed, 3);
        for (var m = 0; m < count; m++)
        {
            var establishment = (long)((r2 >> (m * 24)) % (ulong)establishments);
            if (memberships.Any(x => x.Finess == FinessOf(establishment)))
            {
                continue;
            }
            var start = new DateTimeOffset(2015 + (int)((r2 >> (48 + m)) % 10), 1 + (int)((r >> (40 + m * 4)) % 12), 1, 0, 0, 0, TimeSpan.Zero);
            var ended = (r >> (50 + m * 4)) % 10 == 0;
            memberships.Add(new MembershipTerms(FinessOf(establishment), info!.Label, start,
                ended ? new DateTimeOffset(2025, 6, 30, 0, 0, 0, TimeSpan.Zero) : null, Admin: (r >> (56 + m * 3)) % 20 == 0));
        }
        return new ProfessionalEntry(identifier, name, profession, info!.Sector, memberships);
    }

    /// <summary>The FINESS number of establishment <paramref name="index"/>.</summary>
    public static string FinessOf(long index)
    {
        var department = Departements[index % Departements.Length];
        var serial = index / Departements.Length;
        var body = department.Length == 3
            ? department + (serial % 100_000).ToString("D5", CultureInfo.InvariantCulture)
            : department + (serial % 1_000_000).ToString("D6", CultureInfo.InvariantCulture);
        // Corsica's letter counts as 0 for the check digit.
        var check = Luhn.CheckDigit(department is "2A" or "2B" ? "20" + body[2..] : body);
        return body + check;
    }

    /// <summary>Writes the establishments file (header and rows).</summary>
    public static void WriteEstablishments(TextWriter writer, long count, int seed = 42)
    {
        writer.Write(DirectoryCsv.EstablishmentsHeader + "\n");
        foreach (var e in Establishments(count, seed))
        {
            writer.Write(DirectoryCsv.Format(e));
            writer.Write('\n');
        }
    }

    /// <summary>Writes the professionals file (header and rows), members of the first <paramref name="establishments"/>.</summary>
    public static void WriteProfessionals(TextWriter writer, long count, long establishments, int seed = 42)
    {
        writer.Write(DirectoryCsv.ProfessionalsHeader + "\n");
        foreach (var p in Professionals(count, establishments, seed))
        {
            writer.Write(DirectoryCsv.Format(p));
            writer.Write('\n');
        }
    }

    private static string PostalCode(string department, ulong r) => department switch
    {
        "2A" => "200" + (r % 100).ToString("D2", CultureInfo.InvariantCulture),
        "2B" => "202" + (r % 100).ToString("D2", CultureInfo.InvariantCulture),
        { Length: 3 } => department + (r % 100).ToString("D2", CultureInfo.InvariantCulture),
        _ => department + (r % 1000).ToString("D3", CultureInfo.InvariantCulture),
    };

    private static string WithLuhn(string body) => body + Luhn.CheckDigit(body);

    private static ulong Random(long index, int seed, int stream)
    {
        var state = ((ulong)(uint)seed << 32) ^ ((ulong)index * 0xD1B54A32D192ED03UL) ^ ((ulong)stream * 0x9E3779B97F4A7C15UL);
        return SyntheticPopulation.SplitMix(ref state);
    }

    private static string[] BuildDepartements()
    {
        var list = new List<string>(100);
        for (var d = 1; d <= 95; d++)
        {
            if (d == 20)
            {
                list.AddRange(["2A", "2B"]);
            }
            else
            {
                list.Add(d.ToString("00", CultureInfo.InvariantCulture));
            }
        }
        list.AddRange(["971", "972", "973", "974"]);
        return [.. list];
    }
}

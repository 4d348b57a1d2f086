using System.Globalization;
using Coffre.Domain.Documents;

namespace Coffre.Domain.Rollout;

/// <summary>
/// A deterministic synthetic population (same seed, same people): valid NIRs, birth dates, names, addresses
/// spread over départements, ~60 % with an email, ~10 % minors linked to a representative, Vitale serials.
/// For tests and the macro benchmark; never real data.
/// </summary>
/// <remarks>
/// <para>
/// Person <c>i</c> depends only on <c>(seed, i)</c> (a SplitMix64 hash of both), so streaming, restarting at any index
/// or generating twice gives the same people. NIRs are unique by construction: <c>i</c> is mapped by an affine
/// bijection modulo <see cref="MaxCount"/> (= 12 months × 96 départements × 999 communes × 999 order numbers) onto
/// those four NIR fields; sex digit (1/2) and year vary freely.
/// </para>
/// <para>
/// Ages are relative to <see cref="ReferenceDate"/> (not today) so output never changes: minors are born 2008-01-02 to
/// 2025-12-31, adults 1930 to 2007. Every person has a postal address in their NIR's birth département (postal code =
/// département + 3 digits; 200xx for 2A, 202xx for 2B); adults have a 15-digit Vitale serial; each minor (never
/// person 0) has one representative, an earlier adult of the file; ~60 % have <c>p{index}@example.test</c>.
/// </para>
/// </remarks>
public static class SyntheticPopulation
{
    /// <summary>The date ages are computed against.</summary>
    public static readonly DateOnly ReferenceDate = new(2026, 1, 1);

    /// <summary>The largest population with unique NIRs.</summary>
    public const long MaxCount = 12L * 96 * 999 * 999;

    private const ulong Multiplier = 1_000_000_007; // prime, coprime with MaxCount (2^7 · 3^7 · 37^2)

    private static readonly string[] Departements = BuildDepartements();

    internal static readonly string[] FamilyNames =
    [
        "MARTIN", "BERNARD", "THOMAS", "PETIT", "ROBERT", "RICHARD", "DURAND", "DUBOIS", "MOREAU", "LAURENT",
        "SIMON", "MICHEL", "LEFEBVRE", "LEROY", "ROUX", "DAVID", "BERTRAND", "MOREL", "FOURNIER", "GIRARD",
        "BONNET", "DUPONT", "LAMBERT", "FONTAINE", "ROUSSEAU", "VINCENT", "MULLER", "LEFÈVRE", "FAURE", "ANDRÉ",
        "MERCIER", "BLANC", "GUÉRIN", "BOYER", "GARNIER", "CHEVALIER", "FRANÇOIS", "LEGRAND", "GAUTHIER", "GARCIA",
        "PERRIN", "ROBIN", "CLÉMENT", "MORIN", "NICOLAS", "HENRY", "ROUSSEL", "MATHIEU", "GAUTIER", "MASSON",
        "LE GALL", "D'ARTOIS", "NGUYEN", "DA SILVA", "BEN SALEM", "KOWALSKI",
    ];

    internal static readonly string[] MaleGivenNames =
    [
        "Jean", "Pierre", "Michel", "André", "Philippe", "Alain", "Nicolas", "Jacques", "Thomas", "Lucas",
        "Hugo", "Louis", "Gabriel", "Léo", "Jules", "Arthur", "Jean-Pierre", "Mohamed", "François Xavier", "Noé",
    ];

    internal static readonly string[] FemaleGivenNames =
    [
        "Marie", "Nathalie", "Isabelle", "Sylvie", "Catherine", "Françoise", "Christine", "Monique", "Emma", "Jade",
        "Louise", "Alice", "Chloé", "Léa", "Manon", "Inès", "Marie-Claire", "Fatima", "Anne Sophie", "Zoé",
    ];

    private static readonly string[] Streets =
    [
        "rue de la République", "rue Victor Hugo", "avenue Jean Jaurès", "rue Pasteur", "place de la Mairie",
        "rue des Lilas", "boulevard Gambetta", "chemin des Vignes", "allée des Tilleuls", "rue du Moulin",
        "impasse des Acacias", "route de Paris", "rue de l'Église", "quai des Orfèvres", "rue Jules Ferry",
    ];

    private static readonly string[] Line2s = ["Bâtiment A", "Bâtiment B", "Résidence les Pins", "Appartement 12", "Escalier C"];

    internal static readonly string[] Cities =
    [
        "Saint-Martin", "Villeneuve", "Beaumont", "Montagne", "Bourg-la-Reine", "Fontaine", "Lacroix", "Belleville",
        "Châteauneuf", "Rivière", "Sainte-Marie", "Le Pont", "Mont-Blanc", "Clairefontaine", "Val-d'Or",
    ];

    public static IEnumerable<PersonRecord> Generate(long count, int seed = 42)
    {
        CheckCount(count);
        return GenerateCore(count, seed);
    }

    /// <summary>Person <paramref name="index"/> of the population generated with <paramref name="seed"/>.</summary>
    public static PersonRecord Person(long index, int seed = 42)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, MaxCount);
        return ToRecord(Build(index, SeedHash(seed)), SeedHash(seed));
    }

    /// <summary>Writes the header and <paramref name="count"/> people as a population file.</summary>
    /// <remarks>Lines end with '\n'; the file ends with a line break. Same text as <see cref="PopulationCsv.Format"/> of <see cref="Generate"/>.</remarks>
    public static void WriteCsv(TextWriter writer, long count, int seed = 42)
    {
        ArgumentNullException.ThrowIfNull(writer);
        CheckCount(count);
        writer.Write(PopulationCsv.Header);
        writer.Write('\n');
        var seedHash = SeedHash(seed);
        var buffer = new char[1024];
        for (long i = 0; i < count; i++)
        {
            var person = Build(i, seedHash);
            var length = Render(person, seedHash, buffer);
            buffer[length++] = '\n';
            writer.Write(buffer, 0, length);
        }
    }

    private static void CheckCount(long count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, MaxCount);
    }

    private static IEnumerable<PersonRecord> GenerateCore(long count, int seed)
    {
        var seedHash = SeedHash(seed);
        for (long i = 0; i < count; i++)
        {
            yield return ToRecord(Build(i, seedHash), seedHash);
        }
    }

    private static ulong SeedHash(int seed)
    {
        var state = (ulong)(uint)seed ^ 0x5DEECE66DUL;
        return SplitMix(ref state);
    }

    internal static ulong SplitMix(ref ulong state)
    {
        var z = state += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    private struct Synthetic
    {
        public long Index;
        public int SexDigit;
        public int Year;
        public int Month;
        public int Day;
        public int Departement;
        public int Commune;
        public int Order;
        public bool Minor;
        public bool HasEmail;
        public int FamilyName;
        public int GivenName;
        public int StreetNumber;
        public int Street;
        public int Line2;
        public int City;
        public long Vitale;
        public long Representative;
    }

    private static ulong FirstRandom(long index, ulong seedHash)
    {
        var state = seedHash ^ ((ulong)index * 0xD1B54A32D192ED03UL);
        return SplitMix(ref state);
    }

    private static bool IsMinor(long index, ulong r1) => index > 0 && r1 % 100 < 10;

    private static Synthetic Build(long index, ulong seedHash)
    {
        var state = seedHash ^ ((ulong)index * 0xD1B54A32D192ED03UL);
        var r1 = SplitMix(ref state);
        var r2 = SplitMix(ref state);
        var r3 = SplitMix(ref state);
        var r4 = SplitMix(ref state);

        var p = (((ulong)index * Multiplier) + (seedHash % MaxCount)) % MaxCount;
        var order = (int)(p % 999) + 1;
        p /= 999;
        var commune = (int)(p % 999) + 1;
        p /= 999;
        var departement = (int)(p % 96);
        var month = (int)(p / 96) + 1;

        var minor = IsMinor(index, r1);
        var year = minor ? 2008 + (int)((r1 >> 16) % 18) : 1930 + (int)((r1 >> 16) % 78);
        var day = 1 + (int)((r1 >> 32) % (ulong)DateTime.DaysInMonth(year, month));
        if (minor && year == 2008 && month == 1 && day == 1)
        {
            day = 2; // 18 on the reference date otherwise
        }
        var sexDigit = ((r1 >> 8) & 1) == 0 ? 1 : 2;

        long representative = -1;
        if (minor)
        {
            var j = (long)((r3 >> 24) % (ulong)index);
            while (IsMinor(j, FirstRandom(j, seedHash)))
            {
                j--;
            }
            representative = j;
        }

        return new Synthetic
        {
            Index = index,
            SexDigit = sexDigit,
            Year = year,
            Month = month,
            Day = day,
            Departement = departement,
            Commune = commune,
            Order = order,
            Minor = minor,
            HasEmail = r2 % 100 < 60,
            FamilyName = (int)((r2 >> 16) % (ulong)FamilyNames.Length),
            GivenName = (int)((r2 >> 32) % (ulong)MaleGivenNames.Length),
            StreetNumber = 1 + (int)(r3 % 200),
            Street = (int)((r3 >> 8) % (ulong)Streets.Length),
            Line2 = (r2 >> 8) % 100 < 15 ? (int)((r3 >> 16) % (ulong)Line2s.Length) : -1,
            City = (int)((r4 >> 48) % (ulong)Cities.Length),
            Vitale = minor ? -1 : (long)(r4 % 1_000_000_000_000_000UL),
            Representative = representative,
        };
    }

    private static string[] BuildDepartements()
    {
        var list = new List<string>(96);
        for (var d = 1; d <= 95; d++)
        {
            if (d == 20)
            {
                list.Add("2A");
                list.Add("2B");
            }
            else
            {
                list.Add(d.ToString("00", CultureInfo.InvariantCulture));
            }
        }
        return [.. list];
    }

    private static int NirKey(in Synthetic s)
    {
        var dept = Departements[s.Departement] switch
        {
            "2A" => 19,
            "2B" => 18,
            var d => ((d[0] - '0') * 10) + (d[1] - '0'),
        };
        var body = ((ulong)s.SexDigit * 1_000_000_000_000UL)
            + ((ulong)(s.Year % 100) * 10_000_000_000UL)
            + ((ulong)s.Month * 100_000_000UL)
            + ((ulong)dept * 1_000_000UL)
            + ((ulong)s.Commune * 1_000UL)
            + (ulong)s.Order;
        return 97 - (int)(body % 97);
    }

    private static int WriteNir(in Synthetic s, Span<char> d)
    {
        d[0] = (char)('0' + s.SexDigit);
        Digits(s.Year % 100, d.Slice(1, 2));
        Digits(s.Month, d.Slice(3, 2));
        var dept = Departements[s.Departement];
        d[5] = dept[0];
        d[6] = dept[1];
        Digits(s.Commune, d.Slice(7, 3));
        Digits(s.Order, d.Slice(10, 3));
        Digits(NirKey(s), d.Slice(13, 2));
        return 15;
    }

    private static int WritePostalCode(in Synthetic s, Span<char> d)
    {
        var dept = Departements[s.Departement];
        switch (dept)
        {
            case "2A":
                d[0] = '2';
                d[1] = '0';
                d[2] = '0';
                Digits(s.Commune % 100, d.Slice(3, 2));
                break;
            case "2B":
                d[0] = '2';
                d[1] = '0';
                d[2] = '2';
                Digits(s.Commune % 100, d.Slice(3, 2));
                break;
            default:
                d[0] = dept[0];
                d[1] = dept[1];
                Digits(s.Commune, d.Slice(2, 3));
                break;
        }
        return 5;
    }

    /// <summary>Writes <paramref name="value"/> as exactly <c>d.Length</c> digits, zero-padded.</summary>
    private static void Digits(long value, Span<char> d)
    {
        for (var i = d.Length - 1; i >= 0; i--)
        {
            d[i] = (char)('0' + (int)(value % 10));
            value /= 10;
        }
    }

    private static int WriteNumber(long value, Span<char> d)
    {
        var length = 1;
        for (var v = value / 10; v > 0; v /= 10)
        {
            length++;
        }
        Digits(value, d[..length]);
        return length;
    }

    private static string GivenName(in Synthetic s) => s.SexDigit == 1 ? MaleGivenNames[s.GivenName] : FemaleGivenNames[s.GivenName];

    private static int Render(in Synthetic s, ulong seedHash, Span<char> d)
    {
        var n = WriteNir(s, d);
        d[n++] = ';';
        Digits(s.Year, d.Slice(n, 4));
        d[n + 4] = '-';
        Digits(s.Month, d.Slice(n + 5, 2));
        d[n + 7] = '-';
        Digits(s.Day, d.Slice(n + 8, 2));
        n += 10;
        d[n++] = ';';
        n += Append(FamilyNames[s.FamilyName], d[n..]);
        d[n++] = ';';
        n += Append(GivenName(s), d[n..]);
        d[n++] = ';';
        d[n++] = s.SexDigit == 1 ? 'M' : 'F';
        d[n++] = ';';
        if (s.HasEmail)
        {
            d[n++] = 'p';
            n += WriteNumber(s.Index, d[n..]);
            n += Append("@example.test", d[n..]);
        }
        d[n++] = ';';
        n += WriteNumber(s.StreetNumber, d[n..]);
        d[n++] = ' ';
        n += Append(Streets[s.Street], d[n..]);
        d[n++] = ';';
        if (s.Line2 >= 0)
        {
            n += Append(Line2s[s.Line2], d[n..]);
        }
        d[n++] = ';';
        n += WritePostalCode(s, d[n..]);
        d[n++] = ';';
        n += Append(Cities[s.City], d[n..]);
        d[n++] = ';';
        if (s.Vitale >= 0)
        {
            Digits(s.Vitale, d.Slice(n, 15));
            n += 15;
        }
        d[n++] = ';';
        if (s.Representative >= 0)
        {
            n += WriteNir(Build(s.Representative, seedHash), d[n..]);
        }
        return n;
    }

    private static int Append(string value, Span<char> d)
    {
        value.CopyTo(d);
        return value.Length;
    }

    private static PersonRecord ToRecord(in Synthetic s, ulong seedHash)
    {
        Span<char> buffer = stackalloc char[15];
        WriteNir(s, buffer);
        var nir = new string(buffer);
        WritePostalCode(s, buffer);
        var postalCode = new string(buffer[..5]);
        string[] representatives = [];
        if (s.Representative >= 0)
        {
            WriteNir(Build(s.Representative, seedHash), buffer);
            representatives = [new string(buffer)];
        }
        return new PersonRecord(
            nir,
            new DateOnly(s.Year, s.Month, s.Day),
            FamilyNames[s.FamilyName],
            GivenName(s),
            s.SexDigit == 1 ? Sex.Male : Sex.Female,
            s.HasEmail ? string.Create(CultureInfo.InvariantCulture, $"p{s.Index}@example.test") : null,
            new PostalAddress(
                string.Create(CultureInfo.InvariantCulture, $"{s.StreetNumber} {Streets[s.Street]}"),
                s.Line2 >= 0 ? Line2s[s.Line2] : null,
                postalCode,
                Cities[s.City]),
            s.Vitale >= 0 ? s.Vitale.ToString("D15", CultureInfo.InvariantCulture) : null,
            representatives);
    }
}

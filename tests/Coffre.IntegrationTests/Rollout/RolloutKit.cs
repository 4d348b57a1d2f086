using System.Text;
using Coffre.Application.Rollout;
using Coffre.Domain.Content;
using Coffre.Domain.Identifiers;
using Coffre.Domain.Rollout;

namespace Coffre.IntegrationTests.Rollout;

/// <summary>Keys, people and files shared by the rollout tests.</summary>
internal static class RolloutKit
{
    public static readonly byte[] NirKey = Enumerable.Range(1, 32).Select(i => (byte)i).ToArray();
    public static readonly byte[] CodeKey1 = Enumerable.Range(40, 32).Select(i => (byte)i).ToArray();
    public static readonly byte[] CodeKey2 = Enumerable.Range(80, 32).Select(i => (byte)i).ToArray();
    public static readonly byte[] DeliveryKey = Enumerable.Range(120, 32).Select(i => (byte)i).ToArray();
    public static readonly DateOnly Today = new(2026, 11, 23);

    public static NirHasher NirHasher { get; } = new(NirKey);

    public static CodeHasher Hasher(short current = 1) => new(new Dictionary<short, byte[]> { [1] = CodeKey1, [2] = CodeKey2 }, current);

    public static DeliveryCodeCipher Cipher { get; } = new(7, DeliveryKey);

    public static PersonRecord Person(long index) => SyntheticPopulation.Person(index);

    public static byte[] NirHash(string nir)
    {
        var hash = new byte[32];
        NirHasher.Hash(nir, hash);
        return hash;
    }

    public static byte[] NirHash(PersonRecord person) => NirHash(person.Nir);

    public static byte[] VitaleHash(string serial)
    {
        var hash = new byte[32];
        NirHasher.HashVitaleSerial(serial, hash);
        return hash;
    }

    public static RegistryRow Row(PersonRecord p) => new(
        NirHash(p), Nir.Mask(p.Nir), p.BirthDate, p.FamilyName, p.GivenNames, p.Sex, p.Email, p.Address,
        p.VitaleSerial is null ? null : VitaleHash(p.VitaleSerial), [.. p.RepresentativeNirs.Select(NirHash)]);

    /// <summary>Writes a population file: header then the given lines.</summary>
    public static string WriteFile(string directory, IEnumerable<string> lines)
    {
        var path = Path.Combine(directory, "population-" + Guid.NewGuid().ToString("N")[..8] + ".csv");
        using var writer = new StreamWriter(path, false, new UTF8Encoding(false));
        writer.Write(PopulationCsv.Header + "\n");
        foreach (var line in lines)
        {
            writer.Write(line + "\n");
        }
        return path;
    }

    public static string WriteFile(string directory, IEnumerable<PersonRecord> people) => WriteFile(directory, people.Select(PopulationCsv.Format));

    public static PopulationImporter Importer(IRolloutStore store, int chunkSize = 100_000, ImportMode? mode = null) =>
        new(store, NirHasher, new PopulationImportOptions { ChunkSize = chunkSize, Today = Today, Mode = mode, BlockSize = 64 });

    public static IssuanceService Issuance(IRolloutStore store, IContentStore content, int chunkSize = 250_000, short codeKey = 1, int writers = 2) =>
        new(store, content, Hasher(codeKey), Cipher, new IssuanceOptions { ChunkSize = chunkSize, Writers = writers });

    /// <summary>Reports synchronously on the calling thread (Progress&lt;T&gt; would post and race the test).</summary>
    public sealed class SyncProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}

/// <summary>A content store that fails its N-th write (a crash between print file and commit).</summary>
internal sealed class FailingContentStore(IContentStore inner, int failOnWrite) : IContentStore
{
    private int _writes;

    public int Writes => Volatile.Read(ref _writes);

    public Task<StoredContent> WriteAsync(ContentKey key, Stream content, string? expectedSha256 = null, CancellationToken cancellationToken = default) =>
        Interlocked.Increment(ref _writes) >= failOnWrite
            ? throw new ContentStoreUnavailableException($"injected failure on write {failOnWrite} ({key})")
            : inner.WriteAsync(key, content, expectedSha256, cancellationToken);

    public Task<ContentReader?> OpenReadAsync(ContentKey key, CancellationToken cancellationToken = default) => inner.OpenReadAsync(key, cancellationToken);

    public Task<bool> DeleteAsync(ContentKey key, CancellationToken cancellationToken = default) => inner.DeleteAsync(key, cancellationToken);

    public Task CheckReadyAsync(CancellationToken cancellationToken = default) => inner.CheckReadyAsync(cancellationToken);
}

/// <summary>
/// The email channel's composed messages, kept instead of sent: what a test reads to see who an activation email is for
/// and what it says (the SMTP path itself is CampaignEmailOverSmtpTests', which needs ./test.sh's SMTP server).
/// </summary>
internal sealed class KeptMailTransport : Coffre.Application.Mail.IMailTransport
{
    public List<Coffre.Application.Mail.MailMessage> Messages { get; } = [];

    public Task<IReadOnlyDictionary<Guid, Coffre.Application.Mail.MailOutcome>> SendAsync(IReadOnlyList<Coffre.Application.Mail.MailMessage> messages,
        CancellationToken cancellationToken = default)
    {
        lock (Messages)
        {
            Messages.AddRange(messages);
        }
        return Task.FromResult<IReadOnlyDictionary<Guid, Coffre.Application.Mail.MailOutcome>>(
            messages.ToDictionary(m => m.Id, _ => new Coffre.Application.Mail.MailOutcome(Coffre.Application.Mail.MailOutcomeKind.Sent, "kept")));
    }
}

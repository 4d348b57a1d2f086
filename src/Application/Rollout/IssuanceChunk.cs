using System.Security.Cryptography;
using System.Text;
using Coffre.Domain.Rollout;

namespace Coffre.Application.Rollout;

/// <summary>
/// One transaction's worth of issuance, in flat arrays (no object per person, reusable through <see cref="Reset"/>):
/// for each person the NIR hash, the store's person number (<see cref="EligiblePerson.PersonNo"/>), vault id, code and channel;
/// the codes' hashes, all computed at once by <see cref="HashCodes"/> (eight per step, <see cref="CodeHasher.HashMany"/>),
/// which then wipes the letters' codes; the email people's codes stay (ASCII) until the chunk's email batch file seals
/// them all at once (<see cref="EmailBatchFiles.Write"/>) and are wiped at <see cref="Reset"/>;
/// and, once their files are written, the print batch holding its letters and the email batch holding its emails.
/// <see cref="IRolloutStore.CommitIssuanceAsync"/> stores codes and batch rows in one transaction.
/// </summary>
public sealed class IssuanceChunk
{
    public const int VaultIdLength = 22;

    private readonly byte[] _nirHashes;
    private readonly long[] _personNos;
    private readonly byte[] _codeHashes;
    private readonly byte[] _codes;       // person index → canonical code, ASCII (a letter's until HashCodes wipes it)
    private int _hashed;                  // persons whose code hash is computed
    private readonly byte[] _vaultIds;
    private readonly CodeChannel[] _channels;
    private readonly int[] _emailIndex;   // person index → email ordinal, -1 for post
    private readonly int[] _emailPersons; // email ordinal → person index
    private readonly long[] _sortKeys;
    private readonly int[] _keyOrder;
    private bool _keyOrderSorted;

    public IssuanceChunk(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        Capacity = capacity;
        _nirHashes = new byte[capacity * 32];
        _personNos = new long[capacity];
        _codeHashes = new byte[capacity * 32];
        _codes = new byte[capacity * ActivationCodes.CanonicalLength];
        _vaultIds = new byte[capacity * VaultIdLength];
        _channels = new CodeChannel[capacity];
        _emailIndex = new int[capacity];
        _emailPersons = new int[capacity];
        _sortKeys = new long[capacity];
        _keyOrder = new int[capacity];
        CampaignId = "";
    }

    public int Capacity { get; }

    public string CampaignId { get; private set; }

    /// <summary>The code key id every code of the chunk was hashed under.</summary>
    public short KeyId { get; private set; }

    public DateTimeOffset IssuedAt { get; private set; }

    public DateTimeOffset ExpiresAt { get; private set; }

    public int Count { get; private set; }

    public int Emails { get; private set; }

    public int Letters => Count - Emails;

    /// <summary>The print batch carrying this chunk's letters (set once its file is written); null without letters.</summary>
    public PrintBatch? PrintBatch { get; set; }

    /// <summary>The email batch carrying this chunk's emails (set once its file is written); null without emails.</summary>
    public EmailBatch? EmailBatch { get; set; }

    /// <summary>
    /// The chunk's batch number (allocated at its first person, whatever the channel, and never reused): its letters'
    /// print batch and its emails' email batch; every code of the chunk records it.
    /// </summary>
    public int? BatchNo { get; set; }

    public bool IsFull => Count == Capacity;

    /// <summary>The bounced emails (outbox ids) whose people this chunk's letters reach instead (a bounce → post round).</summary>
    public List<Guid> PostedBounces { get; } = [];

    /// <summary>Empties the chunk for a new use (arrays are kept; the email codes are wiped).</summary>
    public void Reset(string campaignId, short keyId, DateTimeOffset issuedAt, DateTimeOffset expiresAt)
    {
        ArgumentException.ThrowIfNullOrEmpty(campaignId);
        WipeCodes();
        CampaignId = campaignId;
        KeyId = keyId;
        IssuedAt = issuedAt;
        ExpiresAt = expiresAt;
        Count = 0;
        _hashed = 0;
        Emails = 0;
        PrintBatch = null;
        EmailBatch = null;
        BatchNo = null;
        PostedBounces.Clear();
        _keyOrderSorted = false;
    }

    /// <summary>Wipes the codes held in clear (at <see cref="Reset"/>, and when the chunk is let go).</summary>
    public void WipeCodes() => CryptographicOperations.ZeroMemory(_codes.AsSpan(0, Count * ActivationCodes.CanonicalLength));

    /// <summary>
    /// Hashes the codes added since the last call under the chunk's key (<see cref="KeyId"/>), all at once, and wipes
    /// the letters' among them (the email codes stay for their batch file). <see cref="CodeHash"/> answers only for
    /// hashed codes.
    /// </summary>
    public void HashCodes(CodeHasher hasher)
    {
        ArgumentNullException.ThrowIfNull(hasher);
        var codes = _codes.AsSpan(_hashed * ActivationCodes.CanonicalLength, (Count - _hashed) * ActivationCodes.CanonicalLength);
        hasher.HashMany(KeyId, codes, ActivationCodes.CanonicalLength, _codeHashes.AsSpan(_hashed * 32));
        for (var i = _hashed; i < Count; i++)
        {
            if (_channels[i] == CodeChannel.Post)
            {
                CryptographicOperations.ZeroMemory(_codes.AsSpan(i * ActivationCodes.CanonicalLength, ActivationCodes.CanonicalLength));
            }
        }
        _hashed = Count;
    }

    /// <summary>
    /// The person at <paramref name="rank"/> in person-number order (sorted once, at the first call after the last add).
    /// The store COPYs the chunk's codes in this order, so they enter the unique index on valid codes (keyed by person
    /// number) as an ascending run whatever order the registry was read in.
    /// </summary>
    public int PersonInKeyOrder(int rank)
    {
        if (!_keyOrderSorted)
        {
            _personNos.AsSpan(0, Count).CopyTo(_sortKeys);
            for (var i = 0; i < Count; i++)
            {
                _keyOrder[i] = i;
            }
            Array.Sort(_sortKeys, _keyOrder, 0, Count);
            _keyOrderSorted = true;
        }
        return _keyOrder[Index(rank)];
    }

    /// <summary>
    /// Adds a person reached by email with their canonical <paramref name="code"/>, which <see cref="HashCodes"/>
    /// hashes and the chunk's email batch file seals (<see cref="EmailBatchFiles.Write"/>).
    /// </summary>
    public void AddEmail(ReadOnlySpan<byte> nirHash, long personNo, string vaultId, ReadOnlySpan<char> code)
    {
        var i = Next(nirHash, personNo, vaultId, code, CodeChannel.Email);
        _emailIndex[i] = Emails;
        _emailPersons[Emails++] = i;
    }

    /// <summary>Adds a person reached by post with their canonical <paramref name="code"/> (their letter, in the chunk's print batch, carries it).</summary>
    public void AddLetter(ReadOnlySpan<byte> nirHash, long personNo, string vaultId, ReadOnlySpan<char> code)
    {
        var i = Next(nirHash, personNo, vaultId, code, CodeChannel.Post);
        _emailIndex[i] = -1;
    }

    public ReadOnlySpan<byte> NirHash(int i) => _nirHashes.AsSpan(Index(i) * 32, 32);

    public long PersonNo(int i) => _personNos[Index(i)];

    /// <summary>The hash of person <paramref name="i"/>'s code (once <see cref="HashCodes"/> has run).</summary>
    public ReadOnlySpan<byte> CodeHash(int i) => Index(i) < _hashed
        ? _codeHashes.AsSpan(i * 32, 32)
        : throw new InvalidOperationException("the chunk's codes are not hashed yet (HashCodes)");

    public ReadOnlySpan<byte> VaultIdAscii(int i) => _vaultIds.AsSpan(Index(i) * VaultIdLength, VaultIdLength);

    public string VaultId(int i) => Encoding.ASCII.GetString(VaultIdAscii(i));

    public CodeChannel Channel(int i) => _channels[Index(i)];

    /// <summary>The email ordinal of person <paramref name="i"/> (an index for <see cref="EmailCode"/>), -1 for post.</summary>
    public int EmailOrdinal(int i) => _emailIndex[Index(i)];

    /// <summary>The canonical code (ASCII) of email <paramref name="emailOrdinal"/>.</summary>
    public ReadOnlySpan<byte> EmailCode(int emailOrdinal) =>
        _codes.AsSpan(_emailPersons[EmailIndex(emailOrdinal)] * ActivationCodes.CanonicalLength, ActivationCodes.CanonicalLength);

    private int Next(ReadOnlySpan<byte> nirHash, long personNo, string vaultId, ReadOnlySpan<char> code, CodeChannel channel)
    {
        if (Count == Capacity)
        {
            throw new InvalidOperationException("the issuance chunk is full");
        }
        if (nirHash.Length != 32)
        {
            throw new ArgumentException("a NIR hash is 32 bytes", nameof(nirHash));
        }
        if (code.Length != ActivationCodes.CanonicalLength || !Ascii.IsValid(code))
        {
            throw new ArgumentException($"a code is {ActivationCodes.CanonicalLength} ASCII characters", nameof(code));
        }
        if (vaultId is not { Length: VaultIdLength } || Encoding.ASCII.GetBytes(vaultId, _vaultIds.AsSpan(Count * VaultIdLength, VaultIdLength)) != VaultIdLength)
        {
            throw new ArgumentException($"vault id '{vaultId}' is not {VaultIdLength} ASCII characters", nameof(vaultId));
        }
        nirHash.CopyTo(_nirHashes.AsSpan(Count * 32));
        _personNos[Count] = personNo;
        Ascii.FromUtf16(code, _codes.AsSpan(Count * ActivationCodes.CanonicalLength, ActivationCodes.CanonicalLength), out _);
        _channels[Count] = channel;
        _keyOrderSorted = false;
        return Count++;
    }

    private int Index(int i) => (uint)i < (uint)Count ? i : throw new ArgumentOutOfRangeException(nameof(i));

    private int EmailIndex(int e) => (uint)e < (uint)Emails ? e : throw new ArgumentOutOfRangeException(nameof(e));
}

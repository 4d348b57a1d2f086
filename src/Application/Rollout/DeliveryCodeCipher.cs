using System.Buffers;
using System.Buffers.Binary;
using System.Buffers.Text;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Coffre.Domain.Rollout;

namespace Coffre.Application.Rollout;

/// <summary>
/// Encrypts activation codes for the email channel: an email batch record (<see cref="EmailBatchFiles"/>, the binary
/// sealed form of <see cref="Seal(PayloadTemplate, string, ReadOnlySpan{char}, Span{byte})"/>) and the payload of the
/// <c>activation-code</c> message the router builds from it (<see cref="PayloadFromSealed"/>, or requeues in the outbox) carry the
/// code as AES-256-GCM ciphertext under a delivery key (key id + 12-byte nonce + ciphertext‖tag), bound to the campaign
/// and the recipient vault id as associated data. The email channel decrypts at send time with
/// <see cref="DecryptCode"/>; neither the database nor the content store holds an emailed code in clear. Several keys may be live so the delivery key
/// can rotate while older messages wait. Nonces are random (96 bits): rotate a key before 2^32 messages.
/// </summary>
/// <remarks>Payload: <c>{"campaign":"…","keyId":1,"nonce":"base64","ciphertext":"base64","expiresAt":"2027-01-04T10:00:00Z"}</c>.</remarks>
public sealed class DeliveryCodeCipher
{
    public const string OutboxKind = "activation-code";
    public const int KeySize = 32;
    private const int NonceSize = 12;
    private const int TagSize = 16;

    private readonly Dictionary<short, byte[]> _keys;
    private readonly ThreadLocal<PerThread> _perThread;

    public DeliveryCodeCipher(IReadOnlyDictionary<short, byte[]> keys, short currentKeyId)
    {
        ArgumentNullException.ThrowIfNull(keys);
        _keys = [];
        foreach (var (id, key) in keys)
        {
            if (key is not { Length: KeySize })
            {
                throw new ArgumentException($"delivery key {id} must be {KeySize} bytes (AES-256)", nameof(keys));
            }
            _keys[id] = (byte[])key.Clone();
        }
        if (!_keys.ContainsKey(currentKeyId))
        {
            throw new ArgumentException($"the current delivery key id {currentKeyId} is not among the keys", nameof(currentKeyId));
        }
        CurrentKeyId = currentKeyId;
        _perThread = new ThreadLocal<PerThread>(() => new PerThread());
    }

    public DeliveryCodeCipher(short keyId, byte[] key) : this(new Dictionary<short, byte[]> { [keyId] = key }, keyId)
    {
    }

    public short CurrentKeyId { get; }

    /// <summary>The JSON payload for one code (see the class remarks).</summary>
    public string Payload(string campaignId, string vaultId, ReadOnlySpan<char> canonicalCode, DateTimeOffset expiresAt)
    {
        var template = Template(campaignId, expiresAt);
        var writer = new ArrayBufferWriter<byte>(256);
        WritePayload(writer, template, vaultId, canonicalCode);
        return Encoding.UTF8.GetString(writer.WrittenSpan);
    }

    /// <summary>The fixed parts of a chunk's payloads (campaign, key id, expiry), prepared once.</summary>
    public PayloadTemplate Template(string campaignId, DateTimeOffset expiresAt) => TemplateFor(campaignId, CurrentKeyId, expiresAt);

    /// <summary>The fixed parts of payloads sealed under <paramref name="keyId"/> (to rebuild a payload from its sealed form).</summary>
    public static PayloadTemplate TemplateFor(string campaignId, short keyId, DateTimeOffset expiresAt)
    {
        if (!NewCampaign.IsValidId(campaignId))
        {
            throw new ArgumentException($"campaign id '{campaignId}' is invalid", nameof(campaignId));
        }
        var expires = expiresAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
        return new PayloadTemplate(
            campaignId,
            keyId,
            Encoding.UTF8.GetBytes($"{{\"campaign\":\"{campaignId}\",\"keyId\":{keyId},\"nonce\":\""),
            "\",\"ciphertext\":\""u8.ToArray(),
            Encoding.UTF8.GetBytes($"\",\"expiresAt\":\"{expires}\"}}"));
    }

    /// <summary>Encrypts <paramref name="canonicalCode"/> for <paramref name="vaultId"/> and appends the payload JSON as UTF-8.</summary>
    public void WritePayload(IBufferWriter<byte> destination, PayloadTemplate template, string vaultId, ReadOnlySpan<char> canonicalCode)
    {
        ArgumentNullException.ThrowIfNull(template);
        Span<byte> nonce = stackalloc byte[NonceSize];
        Span<byte> sealedCode = stackalloc byte[32 + TagSize];
        var length = Encrypt(template, vaultId, canonicalCode, nonce, sealedCode);
        template.Write(destination, nonce, sealedCode[..length]);
    }

    /// <summary>The size of a sealed form (<see cref="Seal(PayloadTemplate, string, ReadOnlySpan{char}, Span{byte})"/>).</summary>
    public const int SealedSize = 2 + NonceSize + ActivationCodes.CanonicalLength + TagSize;

    /// <summary>
    /// Encrypts <paramref name="canonicalCode"/> for <paramref name="vaultId"/> into its sealed form, <see cref="SealedSize"/>
    /// bytes: key id (big-endian), nonce, ciphertext‖tag — what an email batch record carries; the campaign and expiry are
    /// the batch's (<see cref="PayloadFromSealed(string, DateTimeOffset, ReadOnlySpan{byte})"/> rebuilds the payload JSON).
    /// </summary>
    public void Seal(PayloadTemplate template, string vaultId, ReadOnlySpan<char> canonicalCode, Span<byte> sealedForm)
    {
        ArgumentNullException.ThrowIfNull(template);
        if (canonicalCode.Length != ActivationCodes.CanonicalLength || sealedForm.Length != SealedSize)
        {
            throw new ArgumentException($"a sealed form holds a code of {ActivationCodes.CanonicalLength} characters in {SealedSize} bytes");
        }
        BinaryPrimitives.WriteInt16BigEndian(sealedForm, template.KeyId);
        Encrypt(template, vaultId, canonicalCode, sealedForm.Slice(2, NonceSize), sealedForm[(2 + NonceSize)..]);
    }

    /// <summary>
    /// The <c>activation-code</c> payload JSON of a sealed form written by
    /// <see cref="Seal(PayloadTemplate, string, ReadOnlySpan{char}, Span{byte})"/> for a code of <paramref name="campaignId"/>
    /// expiring at <paramref name="expiresAt"/>. Throws <see cref="FormatException"/> when <paramref name="sealedForm"/> is
    /// not <see cref="SealedSize"/> bytes.
    /// </summary>
    public static string PayloadFromSealed(string campaignId, DateTimeOffset expiresAt, ReadOnlySpan<byte> sealedForm)
    {
        if (sealedForm.Length != SealedSize)
        {
            throw new FormatException("a sealed activation code is malformed");
        }
        var writer = new ArrayBufferWriter<byte>(192);
        TemplateFor(campaignId, BinaryPrimitives.ReadInt16BigEndian(sealedForm), expiresAt).Write(writer, sealedForm.Slice(2, NonceSize), sealedForm[(2 + NonceSize)..]);
        return Encoding.UTF8.GetString(writer.WrittenSpan);
    }

    /// <summary>
    /// The <c>activation-code</c> payload JSON of the text sealed form that version 1 email batch lines carry,
    /// <c>{keyId} {nonce base64} {ciphertext‖tag base64}</c> (issuance wrote it until 2026-12-07), for a code of
    /// <paramref name="campaignId"/> expiring at <paramref name="expiresAt"/>. Throws <see cref="FormatException"/> when
    /// <paramref name="sealedForm"/> is not one.
    /// </summary>
    public static string PayloadFromSealedText(string campaignId, DateTimeOffset expiresAt, ReadOnlySpan<byte> sealedForm)
    {
        var first = sealedForm.IndexOf((byte)' ');
        var second = first < 0 ? -1 : sealedForm[(first + 1)..].IndexOf((byte)' ');
        if (second < 0 || !short.TryParse(sealedForm[..first], NumberStyles.None, CultureInfo.InvariantCulture, out var keyId))
        {
            throw new FormatException("a sealed activation code is malformed");
        }
        var nonce = sealedForm.Slice(first + 1, second);
        var ciphertext = sealedForm[(first + second + 2)..];
        if (nonce.Length != Base64.GetMaxEncodedToUtf8Length(NonceSize) || ciphertext.IsEmpty || !Base64.IsValid(nonce) || !Base64.IsValid(ciphertext))
        {
            throw new FormatException("a sealed activation code is malformed");
        }
        var writer = new ArrayBufferWriter<byte>(192);
        TemplateFor(campaignId, keyId, expiresAt).WriteEncoded(writer, nonce, ciphertext);
        return Encoding.UTF8.GetString(writer.WrittenSpan);
    }

    /// <summary>AES-256-GCM under the template's key, bound to the campaign and vault; returns the ciphertext‖tag length.</summary>
    private int Encrypt(PayloadTemplate template, string vaultId, ReadOnlySpan<char> canonicalCode, Span<byte> nonce, Span<byte> sealedCode)
    {
        ArgumentException.ThrowIfNullOrEmpty(vaultId);
        if (!_keys.TryGetValue(template.KeyId, out var key))
        {
            throw new ArgumentException($"delivery key {template.KeyId} is unknown", nameof(template));
        }
        var state = _perThread.Value!;
        var aes = state.Aes(template.KeyId, key);
        Span<byte> plain = stackalloc byte[32];
        var plainLength = Encoding.ASCII.GetBytes(canonicalCode, plain);
        Span<byte> aad = stackalloc byte[256];
        var aadLength = Aad(template.CampaignId, vaultId, aad);
        state.NextNonce(nonce);
        aes.Encrypt(nonce, plain[..plainLength], sealedCode[..plainLength], sealedCode.Slice(plainLength, TagSize), aad[..aadLength]);
        CryptographicOperations.ZeroMemory(plain);
        return plainLength + TagSize;
    }

    /// <summary>The size of a batch's nonce (<see cref="SealBatch"/>).</summary>
    public const int BatchNonceSize = NonceSize;

    /// <summary>The size of a batch's tag (<see cref="SealBatch"/>).</summary>
    public const int BatchTagSize = TagSize;

    /// <summary>A fresh random nonce for <see cref="SealBatch"/>.</summary>
    public void NewBatchNonce(Span<byte> nonce)
    {
        if (nonce.Length != NonceSize)
        {
            throw new ArgumentException($"a batch nonce is {NonceSize} bytes", nameof(nonce));
        }
        _perThread.Value!.NextNonce(nonce);
    }

    /// <summary>
    /// Encrypts a whole batch's codes (<paramref name="codes"/>, ASCII, concatenated) in ONE AES-256-GCM operation under
    /// the current key, the batch's clear parts authenticated as <paramref name="associatedData"/>: an email batch file of
    /// version 3 (<see cref="EmailBatchFiles"/>). One operation per batch instead of one per email: through .NET's
    /// OpenSSL interop, sealing a code alone cost about 1 µs, nearly all of it per call (benchmarks/results/issue10-batchseal).
    /// </summary>
    public void SealBatch(ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> associatedData, ReadOnlySpan<byte> codes, Span<byte> ciphertext, Span<byte> tag)
    {
        var state = _perThread.Value!;
        state.Aes(CurrentKeyId, _keys[CurrentKeyId]).Encrypt(nonce, codes, ciphertext, tag, associatedData);
    }

    /// <summary>
    /// The codes of a batch sealed by <see cref="SealBatch"/> under <paramref name="keyId"/>. Throws
    /// <see cref="CryptographicException"/> when the key is unknown or anything sealed or authenticated was altered.
    /// </summary>
    public void OpenBatch(short keyId, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> associatedData, ReadOnlySpan<byte> ciphertext, ReadOnlySpan<byte> tag, Span<byte> codes)
    {
        if (!_keys.TryGetValue(keyId, out var key))
        {
            throw new CryptographicException($"delivery key {keyId} is unknown");
        }
        _perThread.Value!.Aes(keyId, key).Decrypt(nonce, ciphertext, tag, codes, associatedData);
    }

    /// <summary>
    /// The canonical code an <c>activation-code</c> payload carries for <paramref name="vaultId"/> (the message's
    /// recipient). Throws <see cref="CryptographicException"/> when the payload was altered, is for another recipient
    /// or campaign, or its key id is unknown.
    /// </summary>
    public string DecryptCode(string payloadJson, string vaultId)
    {
        var payload = DeliveryPayload.Parse(payloadJson);
        if (!_keys.TryGetValue(payload.KeyId, out var key))
        {
            throw new CryptographicException($"delivery key {payload.KeyId} is unknown");
        }
        var nonce = Convert.FromBase64String(payload.Nonce);
        var sealedCode = Convert.FromBase64String(payload.Ciphertext);
        if (nonce.Length != NonceSize || sealedCode.Length <= TagSize)
        {
            throw new CryptographicException("the delivery payload is malformed");
        }
        Span<byte> aad = stackalloc byte[256];
        var aadLength = Aad(payload.Campaign, vaultId, aad);
        var plain = new byte[sealedCode.Length - TagSize];
        using var aes = new AesGcm(key, TagSize);
        aes.Decrypt(nonce, sealedCode.AsSpan(0, plain.Length), sealedCode.AsSpan(plain.Length), plain, aad[..aadLength]);
        return Encoding.ASCII.GetString(plain);
    }

    private static int Aad(string campaignId, string vaultId, Span<byte> destination)
    {
        var text = $"coffre-activation-code\n{campaignId}\n{vaultId}";
        if (Encoding.UTF8.GetByteCount(text) > destination.Length)
        {
            throw new ArgumentException("campaign or vault id too long");
        }
        return Encoding.UTF8.GetBytes(text, destination);
    }

    public sealed class PayloadTemplate(string campaignId, short keyId, byte[] prefix, byte[] middle, byte[] suffix)
    {
        public string CampaignId { get; } = campaignId;

        public short KeyId { get; } = keyId;

        internal byte[] Prefix { get; } = prefix;
        internal byte[] Middle { get; } = middle;
        internal byte[] Suffix { get; } = suffix;

        /// <summary>The payload JSON around a raw nonce and ciphertext‖tag.</summary>
        internal void Write(IBufferWriter<byte> destination, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> sealedCode)
        {
            Span<byte> nonceText = stackalloc byte[Base64.GetMaxEncodedToUtf8Length(NonceSize)];
            Span<byte> sealedText = stackalloc byte[Base64.GetMaxEncodedToUtf8Length(sealedCode.Length)];
            Base64.EncodeToUtf8(nonce, nonceText, out _, out var n);
            Base64.EncodeToUtf8(sealedCode, sealedText, out _, out var c);
            WriteEncoded(destination, nonceText[..n], sealedText[..c]);
        }

        private static int Append(Span<byte> span, int at, ReadOnlySpan<byte> part)
        {
            part.CopyTo(span[at..]);
            return at + part.Length;
        }

        /// <summary>The payload JSON around an already base64-encoded nonce and ciphertext‖tag.</summary>
        internal void WriteEncoded(IBufferWriter<byte> destination, ReadOnlySpan<byte> nonceBase64, ReadOnlySpan<byte> sealedBase64)
        {
            var span = destination.GetSpan(Prefix.Length + nonceBase64.Length + Middle.Length + sealedBase64.Length + Suffix.Length);
            var at = Append(span, 0, Prefix);
            at = Append(span, at, nonceBase64);
            at = Append(span, at, Middle);
            at = Append(span, at, sealedBase64);
            destination.Advance(Append(span, at, Suffix));
        }
    }

    private sealed class PerThread
    {
        private readonly Dictionary<short, AesGcm> _aes = [];
        private readonly byte[] _random = new byte[4096];
        private int _used = 4096;

        public AesGcm Aes(short keyId, byte[] key)
        {
            if (!_aes.TryGetValue(keyId, out var aes))
            {
                _aes[keyId] = aes = new AesGcm(key, TagSize);
            }
            return aes;
        }

        /// <summary>Random nonces drawn from a refilled block of CSPRNG output (one system call per 341 messages).</summary>
        public void NextNonce(Span<byte> nonce)
        {
            if (_used + nonce.Length > _random.Length)
            {
                RandomNumberGenerator.Fill(_random);
                _used = 0;
            }
            _random.AsSpan(_used, nonce.Length).CopyTo(nonce);
            CryptographicOperations.ZeroMemory(_random.AsSpan(_used, nonce.Length));
            _used += nonce.Length;
        }
    }
}

/// <summary>The parsed payload of an <c>activation-code</c> outbox message.</summary>
public sealed record DeliveryPayload(string Campaign, short KeyId, string Nonce, string Ciphertext, DateTimeOffset ExpiresAt)
{
    public static DeliveryPayload Parse(string payloadJson)
    {
        try
        {
            using var document = JsonDocument.Parse(payloadJson);
            var root = document.RootElement;
            return new DeliveryPayload(
                root.GetProperty("campaign").GetString()!,
                root.GetProperty("keyId").GetInt16(),
                root.GetProperty("nonce").GetString()!,
                root.GetProperty("ciphertext").GetString()!,
                root.GetProperty("expiresAt").GetDateTimeOffset());
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new CryptographicException("the delivery payload is malformed", e);
        }
    }
}

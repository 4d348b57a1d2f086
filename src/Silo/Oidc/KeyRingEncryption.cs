using System.Security.Cryptography;
using System.Text;
using System.Xml.Linq;
using Microsoft.AspNetCore.DataProtection.XmlEncryption;

namespace Coffre.Silo.Oidc;

/// <summary>
/// The key that encrypts the data-protection key ring at rest. The ring (the keys behind the sign-in cookie and the
/// anti-forgery tokens of the provider's pages) lives in the database beside everything else; encrypted with a key
/// derived from the provider's encryption key (a setting or the embedded default's key file, never in the database),
/// a copy of the database alone cannot forge a sign-in. Key rings written before this (in clear) still read.
/// </summary>
public sealed class KeyRingKey
{
    private static readonly byte[] Purpose = "coffre data-protection key ring v1"u8.ToArray();

    public KeyRingKey(ReadOnlySpan<byte> providerEncryptionKey)
    {
        if (providerEncryptionKey.Length < 32)
        {
            throw new ArgumentException("the provider's encryption key has fewer than 32 bytes", nameof(providerEncryptionKey));
        }
        Key = HKDF.DeriveKey(HashAlgorithmName.SHA256, providerEncryptionKey.ToArray(), 32, salt: null, info: Purpose);
    }

    internal byte[] Key { get; }
}

/// <summary>Encrypts each new key of the ring (AES-256-GCM, a fresh nonce per key, a fixed label as associated data).</summary>
public sealed class KeyRingEncryptor(KeyRingKey key) : IXmlEncryptor
{
    internal static readonly XNamespace Namespace = "urn:coffre:key-ring";

    public EncryptedXmlInfo Encrypt(XElement plaintextElement)
    {
        ArgumentNullException.ThrowIfNull(plaintextElement);
        var plaintext = Encoding.UTF8.GetBytes(plaintextElement.ToString(SaveOptions.DisableFormatting));
        var sealedBytes = new byte[AesGcm.NonceByteSizes.MaxSize + AesGcm.TagByteSizes.MaxSize + plaintext.Length];
        var nonce = sealedBytes.AsSpan(0, AesGcm.NonceByteSizes.MaxSize);
        var tag = sealedBytes.AsSpan(nonce.Length, AesGcm.TagByteSizes.MaxSize);
        RandomNumberGenerator.Fill(nonce);
        using (var aes = new AesGcm(key.Key, tag.Length))
        {
            aes.Encrypt(nonce, plaintext, sealedBytes.AsSpan(nonce.Length + tag.Length), tag, KeyRingDecryptor.AssociatedData);
        }
        CryptographicOperations.ZeroMemory(plaintext);
        var element = new XElement(Namespace + "encrypted",
            new XComment(" This key is encrypted with a key derived from the OIDC provider's encryption key (Coffre:Oidc:EncryptionKey). "),
            new XElement(Namespace + "value", Convert.ToBase64String(sealedBytes)));
        return new EncryptedXmlInfo(element, typeof(KeyRingDecryptor));
    }
}

/// <summary>Decrypts a key of the ring; created by the data-protection system with the host's services.</summary>
public sealed class KeyRingDecryptor(IServiceProvider services) : IXmlDecryptor
{
    internal static readonly byte[] AssociatedData = "urn:coffre:key-ring:encrypted"u8.ToArray();

    public XElement Decrypt(XElement encryptedElement)
    {
        ArgumentNullException.ThrowIfNull(encryptedElement);
        var key = services.GetRequiredService<KeyRingKey>();
        var value = encryptedElement.Element(KeyRingEncryptor.Namespace + "value")?.Value
            ?? throw new CryptographicException("an encrypted key of the ring has no value");
        var sealedBytes = Convert.FromBase64String(value);
        var nonceSize = AesGcm.NonceByteSizes.MaxSize;
        var tagSize = AesGcm.TagByteSizes.MaxSize;
        if (sealedBytes.Length < nonceSize + tagSize)
        {
            throw new CryptographicException("an encrypted key of the ring is too short");
        }
        var plaintext = new byte[sealedBytes.Length - nonceSize - tagSize];
        using (var aes = new AesGcm(key.Key, tagSize))
        {
            aes.Decrypt(sealedBytes.AsSpan(0, nonceSize), sealedBytes.AsSpan(nonceSize + tagSize), sealedBytes.AsSpan(nonceSize, tagSize), plaintext,
                AssociatedData);
        }
        try
        {
            return XElement.Parse(Encoding.UTF8.GetString(plaintext));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plaintext);
        }
    }
}

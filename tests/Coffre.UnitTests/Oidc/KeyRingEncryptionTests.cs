using System.Security.Cryptography;
using System.Xml.Linq;
using Coffre.Silo.Oidc;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.Repositories;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Xunit;

namespace Coffre.UnitTests.Oidc;

/// <summary>The data-protection key ring is encrypted at rest with a key derived from the provider's encryption key.</summary>
public sealed class KeyRingEncryptionTests
{
    private static readonly byte[] ProviderKey = RandomNumberGenerator.GetBytes(32);

    private sealed class ListRepository : IXmlRepository
    {
        public List<XElement> Elements { get; } = [];
        public IReadOnlyCollection<XElement> GetAllElements() => [.. Elements];
        public void StoreElement(XElement element, string friendlyName) => Elements.Add(new XElement(element));
    }

    private static ServiceProvider DataProtection(ListRepository repository, byte[] providerKey, bool encrypt = true)
    {
        var services = new ServiceCollection();
        services.AddDataProtection().SetApplicationName("coffre");
        services.AddSingleton(new KeyRingKey(providerKey));
        services.AddSingleton<IConfigureOptions<KeyManagementOptions>>(sp => new ConfigureOptions<KeyManagementOptions>(o =>
        {
            o.XmlRepository = repository;
            o.XmlEncryptor = encrypt ? new KeyRingEncryptor(sp.GetRequiredService<KeyRingKey>()) : null;
        }));
        return services.BuildServiceProvider();
    }

    private static KeyRingDecryptor Decryptor(byte[] providerKey) =>
        new(new ServiceCollection().AddSingleton(new KeyRingKey(providerKey)).BuildServiceProvider());

    [Fact]
    public void A_key_round_trips_and_its_secret_is_not_in_the_stored_element()
    {
        var secret = Convert.ToBase64String(RandomNumberGenerator.GetBytes(64));
        var plaintext = new XElement("masterKey", new XElement("value", secret));

        var info = new KeyRingEncryptor(new KeyRingKey(ProviderKey)).Encrypt(plaintext);

        Assert.Equal(typeof(KeyRingDecryptor), info.DecryptorType);
        Assert.DoesNotContain(secret, info.EncryptedElement.ToString(), StringComparison.Ordinal);
        Assert.Equal(plaintext.ToString(), Decryptor(ProviderKey).Decrypt(info.EncryptedElement).ToString());
    }

    [Fact]
    public void A_tampered_key_or_another_providers_key_does_not_decrypt()
    {
        var info = new KeyRingEncryptor(new KeyRingKey(ProviderKey)).Encrypt(new XElement("masterKey", "k"));
        var value = info.EncryptedElement.Descendants().Single(e => e.Name.LocalName == "value");
        var bytes = Convert.FromBase64String(value.Value);

        Assert.ThrowsAny<CryptographicException>(() => Decryptor(RandomNumberGenerator.GetBytes(32)).Decrypt(info.EncryptedElement));
        bytes[^1] ^= 1;
        value.Value = Convert.ToBase64String(bytes);
        Assert.ThrowsAny<CryptographicException>(() => Decryptor(ProviderKey).Decrypt(info.EncryptedElement));
    }

    [Fact]
    public void The_data_protection_system_stores_encrypted_keys_and_unprotects_with_them()
    {
        var repository = new ListRepository();
        using (var first = DataProtection(repository, ProviderKey))
        {
            var protectedText = first.GetDataProtector("sign-in").Protect("the person's sign-in");
            // Another process of the cluster (same setting) reads the same ring.
            using var second = DataProtection(repository, ProviderKey);
            Assert.Equal("the person's sign-in", second.GetDataProtector("sign-in").Unprotect(protectedText));
        }
        var stored = Assert.Single(repository.Elements).ToString();
        Assert.Contains("urn:coffre:key-ring", stored, StringComparison.Ordinal);
        Assert.DoesNotContain("<masterKey", stored, StringComparison.Ordinal);
    }

    [Fact]
    public void A_ring_written_in_clear_before_still_reads()
    {
        var repository = new ListRepository();
        string protectedText;
        using (var before = DataProtection(repository, ProviderKey, encrypt: false))
        {
            protectedText = before.GetDataProtector("sign-in").Protect("kept");
        }
        Assert.Contains("<masterKey", Assert.Single(repository.Elements).ToString(), StringComparison.Ordinal);

        using var after = DataProtection(repository, ProviderKey);
        Assert.Equal("kept", after.GetDataProtector("sign-in").Unprotect(protectedText));
    }

    [Fact]
    public void A_short_provider_key_is_refused()
    {
        Assert.Throws<ArgumentException>(() => new KeyRingKey(new byte[16]));
    }
}

using System.Security.Cryptography;
using Coffre.Application.Audit;
using Coffre.Domain.Access;
using Coffre.Domain.Auditing;
using Xunit;

namespace Coffre.UnitTests.Audit;

public sealed class AuditChainTests
{
    private static readonly byte[] Key = Enumerable.Range(1, 32).Select(i => (byte)i).ToArray();
    private static readonly DateTimeOffset At = new(2026, 11, 23, 10, 15, 30, 123, 456, TimeSpan.Zero);

    private static AuditEvent Event(string vault = "v-1", string target = "document:d-1", bool allowed = true, string? profession = "10") =>
        AuditEvents.Create(vault, Caller.Professional("10101010101", profession ?? "10"), "document.read", target,
            allowed ? AccessDecision.Allow(LegalBasis.Grant, "granted") : AccessDecision.Deny(DenialReason.NoBasis, "no basis"), At)
        with { ActorProfession = profession };

    private static List<AuditChainLink> Chain(int count, string vault = "v-1")
    {
        var links = new List<AuditChainLink>();
        var previous = AuditChain.Genesis.ToArray();
        for (var i = 1; i <= count; i++)
        {
            var e = Event(vault, $"document:d-{i}");
            var hash = AuditChain.ComputeHash(previous, e);
            links.Add(new AuditChainLink(i, e, previous, hash));
            previous = hash;
        }
        return links;
    }

    private static AuditHead HeadOf(List<AuditChainLink> links, string vault = "v-1") =>
        new(vault, links[^1].Sequence, links[^1].Hash, AuditChain.ComputeHeadMac(Key, vault, links[^1].Sequence, links[^1].Hash));

    [Fact]
    public void Genesis_is_32_zero_bytes() => Assert.Equal(new byte[32], AuditChain.Genesis.ToArray());

    [Fact]
    public void Hash_is_sha256_of_previous_hash_and_canonical_bytes()
    {
        var e = Event();
        var previous = RandomNumberGenerator.GetBytes(32);
        byte[] input = [.. previous, .. AuditChain.Canonical(e)];
        Assert.Equal(SHA256.HashData(input), AuditChain.ComputeHash(previous, e));
    }

    [Fact]
    public void Canonical_form_is_deterministic_and_fixed()
    {
        var e = new AuditEvent("v", DateTimeOffset.UnixEpoch.AddTicks(10), CallerKind.Patient, "p", null, AuditAction.Read, "o", "t", true, LegalBasis.Owner, DenialReason.None);
        byte[] expected =
        [
            1, 0, 0, 0, 1, (byte)'v', 0, 0, 0, 0, 0, 0, 0, 1, // version, vault id, time (1 µs)
            0, 0, 0, 1, 0, 0, 0, 1, (byte)'p', 0xFF, 0xFF, 0xFF, 0xFF, // kind, actor id, null profession
            0, (byte)'R', 0, 0, 0, 1, (byte)'o', 0, 0, 0, 1, (byte)'t', 1, // action, operation, target, allowed
            0, 0, 0, 1, 0, 0, 0, 0, // basis, reason
        ];
        Assert.Equal(expected, AuditChain.Canonical(e));
        Assert.Equal(AuditChain.Canonical(e), AuditChain.Canonical(e with { }));
    }

    [Fact]
    public void Every_field_changes_the_hash()
    {
        var e = Event();
        AuditEvent[] variants =
        [
            e with { VaultId = "v-2" }, e with { At = e.At.AddTicks(10) }, e with { ActorKind = CallerKind.Operator },
            e with { ActorId = "x" }, e with { ActorProfession = null }, e with { ActorProfession = "" },
            e with { Action = AuditAction.Update }, e with { Operation = "document.list" }, e with { Target = "vault" },
            e with { Allowed = false }, e with { Basis = LegalBasis.Owner }, e with { Reason = DenialReason.Blocked },
        ];
        var hashes = variants.Select(v => Convert.ToHexString(AuditChain.ComputeHash(AuditChain.Genesis, v))).ToHashSet();
        hashes.Add(Convert.ToHexString(AuditChain.ComputeHash(AuditChain.Genesis, e)));
        Assert.Equal(variants.Length + 1, hashes.Count);
    }

    [Fact]
    public void Field_boundaries_are_unambiguous()
    {
        var a = Event() with { Operation = "ab", Target = "c" };
        var b = Event() with { Operation = "a", Target = "bc" };
        Assert.NotEqual(AuditChain.Canonical(a), AuditChain.Canonical(b));
    }

    [Fact]
    public void Time_is_hashed_in_utc_at_microsecond_precision()
    {
        var e = Event();
        var sameInstantOtherOffset = e with { At = e.At.ToOffset(TimeSpan.FromHours(2)) };
        var subMicrosecond = e with { At = e.At.AddTicks(7) };
        Assert.Equal(AuditChain.Canonical(e), AuditChain.Canonical(sameInstantOtherOffset));
        Assert.Equal(AuditChain.Canonical(e), AuditChain.Canonical(subMicrosecond));
        var normalised = AuditChain.Normalise(subMicrosecond with { At = subMicrosecond.At.ToOffset(TimeSpan.FromHours(-5)) });
        Assert.Equal(TimeSpan.Zero, normalised.At.Offset);
        Assert.Equal(0, normalised.At.UtcTicks % TimeSpan.TicksPerMicrosecond);
        Assert.Equal(e.At, normalised.At);
    }

    [Fact]
    public void Events_no_store_can_keep_are_refused()
    {
        var e = Event();
        Assert.Throws<ArgumentException>(() => AuditChain.Normalise(e with { VaultId = "" }));
        Assert.Throws<ArgumentException>(() => AuditChain.Normalise(e with { Target = "a\0b" }));
        Assert.Throws<ArgumentException>(() => AuditChain.Normalise(e with { ActorId = new string('\ud800', 1) }));
        Assert.Throws<ArgumentException>(() => AuditChain.Normalise(e with { Operation = null! }));
    }

    [Fact]
    public void Intact_chain_verifies()
    {
        var links = Chain(5);
        var result = AuditChain.Verify("v-1", links, HeadOf(links), Key);
        Assert.Equal(new ChainVerification(true, 5, null, null), result);
    }

    [Fact]
    public void Empty_chain_without_head_verifies() =>
        Assert.True(AuditChain.Verify("v-1", [], null, Key).Intact);

    [Fact]
    public void Edited_event_is_reported_at_its_sequence()
    {
        var links = Chain(5);
        links[2] = links[2] with { Event = links[2].Event with { Allowed = false } };
        var result = AuditChain.Verify("v-1", links, HeadOf(Chain(5)), Key);
        Assert.False(result.Intact);
        Assert.Equal(3, result.FirstBrokenSequence);
        Assert.Equal("event 3 was modified", result.Problem);
    }

    [Fact]
    public void Edited_event_with_recomputed_hash_breaks_the_next_link()
    {
        var links = Chain(5);
        var edited = links[2].Event with { Target = "document:other" };
        links[2] = links[2] with { Event = edited, Hash = AuditChain.ComputeHash(links[2].PreviousHash, edited) };
        var result = AuditChain.Verify("v-1", links, HeadOf(Chain(5)), Key);
        Assert.Equal(4, result.FirstBrokenSequence);
        Assert.Equal("event 4 does not follow event 3", result.Problem);
    }

    [Fact]
    public void Missing_event_is_reported()
    {
        var links = Chain(5);
        var head = HeadOf(links);
        links.RemoveAt(1);
        var result = AuditChain.Verify("v-1", links, head, Key);
        Assert.Equal(2, result.FirstBrokenSequence);
        Assert.Equal("event 2 is missing", result.Problem);
    }

    [Fact]
    public void Removed_tail_is_reported_against_the_head()
    {
        var links = Chain(5);
        var head = HeadOf(links);
        links.RemoveRange(3, 2);
        var result = AuditChain.Verify("v-1", links, head, Key);
        Assert.Equal(4, result.FirstBrokenSequence);
        Assert.Equal("events after 3 were removed", result.Problem);
    }

    [Fact]
    public void Head_moved_back_without_the_key_is_reported()
    {
        var links = Chain(5);
        links.RemoveRange(3, 2);
        var forged = new AuditHead("v-1", 3, links[^1].Hash, HeadOf(Chain(5)).Mac);
        var result = AuditChain.Verify("v-1", links, forged, Key);
        Assert.False(result.Intact);
        Assert.Equal("chain head was modified", result.Problem);
    }

    [Fact]
    public void Head_of_another_vault_is_refused()
    {
        var links = Chain(2);
        var result = AuditChain.Verify("v-1", links, HeadOf(Chain(2, "v-2"), "v-2"), Key);
        Assert.Equal("chain head was modified", result.Problem);
    }

    [Fact]
    public void Missing_head_is_reported()
    {
        var result = AuditChain.Verify("v-1", Chain(2), null, Key);
        Assert.False(result.Intact);
        Assert.Equal("chain head is missing", result.Problem);
    }

    [Fact]
    public void Replaced_last_event_is_reported_against_the_head()
    {
        var links = Chain(3);
        var head = HeadOf(links);
        var replacement = links[2].Event with { Allowed = false };
        links[2] = links[2] with { Event = replacement, Hash = AuditChain.ComputeHash(links[2].PreviousHash, replacement) };
        var result = AuditChain.Verify("v-1", links, head, Key);
        Assert.Equal(3, result.FirstBrokenSequence);
        Assert.StartsWith("event 3 does not match the chain head", result.Problem);
    }

    [Fact]
    public void Head_mac_depends_on_key_vault_sequence_and_hash()
    {
        var hash = RandomNumberGenerator.GetBytes(32);
        var mac = AuditChain.ComputeHeadMac(Key, "v-1", 7, hash);
        byte[] message = [.. "coffre.audit.head.v1"u8, 0, 0, 0, 3, .. "v-1"u8, 0, 0, 0, 0, 0, 0, 0, 7, .. hash];
        Assert.Equal(HMACSHA256.HashData(Key, message), mac);
        Assert.NotEqual(mac, AuditChain.ComputeHeadMac(Key, "v-2", 7, hash));
        Assert.NotEqual(mac, AuditChain.ComputeHeadMac(Key, "v-1", 8, hash));
        Assert.NotEqual(mac, AuditChain.ComputeHeadMac(RandomNumberGenerator.GetBytes(32), "v-1", 7, hash));
    }

    [Fact]
    public void Head_key_is_read_from_base64_and_must_be_long_enough()
    {
        Assert.Equal(Key, AuditChain.ParseHeadKey(Convert.ToBase64String(Key)));
        Assert.Throws<InvalidOperationException>(() => AuditChain.ParseHeadKey(null));
        Assert.Throws<InvalidOperationException>(() => AuditChain.ParseHeadKey("not base64!"));
        Assert.Throws<ArgumentException>(() => AuditChain.ParseHeadKey(Convert.ToBase64String(new byte[16])));
    }
}

using System.Security.Cryptography;
using Coffre.Domain;
using Coffre.Domain.Access;
using Coffre.Domain.Documents;
using Coffre.Domain.Rollout;
using Coffre.Domain.Sharing;
using Microsoft.Extensions.Logging;

namespace Coffre.Grains.Sharing;

/// <summary>
/// One share link (key <c>share-{linkId}</c>, state <c>share-link-v1</c>). Every opening costs one HMAC of the code whatever
/// the case (unknown link, malformed code, dead link), and every refusal is the same null. A wrong code on a live link counts
/// toward its lock (<see cref="ShareLinks.MaxFailedCodes"/>); an unknown link id writes nothing and ends the activation. A
/// right code asks the vault (<see cref="IVaultSharingGrain.OpenShareAsync"/>), which re-decides everything from its own state,
/// counts and records the opening; then an opening token (32 random bytes; only its SHA-256 is kept) lets the holder download
/// the link's documents for <see cref="ShareLinks.OpeningTokenLifetime"/>, at most <see cref="ShareLinks.DownloadsPerDocument"/>
/// downloads per document of the link, each download asked of the vault again.
/// Not reentrant; it calls its vault, which never calls a link back (except to set up a new one, which no one can open yet).
/// </summary>
[GrainType("share-link")]
public sealed partial class ShareLinkGrain(
    [PersistentState(GrainNames.States.ShareLink, GrainNames.Storage)] IPersistentState<ShareLinkState> state,
    CodeHasher codeHasher,
    TimeProvider clock,
    ILogger<ShareLinkGrain> logger) : Grain, IShareLinkGrain
{
    private static readonly byte[] DummyHash = new byte[CodeHasher.HashSize];

    private string Key => this.GetPrimaryKeyString();
    private string LinkId => Key["share-".Length..];
    private ShareLinkState S => state.State;

    async Task IShareLinkGrain.InitializeAsync(Caller system, ShareLinkSetup setup)
    {
        if (!ShareLinkCallers.IsSystem(system))
        {
            throw new AccessDeniedException("Only a vault sets up its share links.", DenialReason.NotPermitted);
        }
        if (S.VaultId is not null)
        {
            throw new ValidationFailedException("linkId", "is already set up", ErrorCodes.Conflict);
        }
        S.VaultId = setup.VaultId;
        S.DocumentIds = [.. setup.DocumentIds];
        S.KeyId = setup.KeyId;
        S.CodeHash = setup.CodeHash;
        S.ExpiresAt = setup.ExpiresAt;
        S.MaxOpenings = setup.MaxOpenings;
        await state.WriteStateAsync();
    }

    async Task<ShareOpening?> IShareLinkGrain.OpenAsync(string code)
    {
        var wellFormed = ShareLinks.TryNormaliseCode(code, out var canonical);
        // One HMAC whatever the case: an unknown link, a malformed code or a dead link cost what a live one does.
        var matches = codeHasher.Verify(ShareLinks.HashInput(wellFormed ? canonical : ShareLinks.DummyCode),
            S.VaultId is null ? codeHasher.CurrentKeyId : S.KeyId, S.VaultId is null ? DummyHash : S.CodeHash) && wellFormed;
        if (S.VaultId is null)
        {
            this.DeactivateOnIdle();
            return null;
        }
        var now = clock.GetUtcNow();
        DropExpiredTokens(now);
        if (ShareLinks.StatusOf(S.RevokedAt, S.LockedAt, S.Openings, S.MaxOpenings, S.ExpiresAt, now) != ShareLinkStatus.Active)
        {
            return null;
        }
        if (!matches)
        {
            S.FailedAttempts++;
            var locks = S.FailedAttempts >= ShareLinks.MaxFailedCodes;
            if (locks)
            {
                S.LockedAt = now;
                LogLocked(logger, S.FailedAttempts);
            }
            await state.WriteStateAsync();
            if (locks)
            {
                await Vault.RecordShareLockedAsync(ShareLinkCallers.System, LinkId);
            }
            return null;
        }
        var documents = await Vault.OpenShareAsync(ShareLinkCallers.System, LinkId);
        if (documents is null)
        {
            // The vault refused (revoked, vault no longer active, nothing left to serve): it stays the authority, nothing is kept here.
            return null;
        }
        S.Openings++;
        var token = new byte[32];
        RandomNumberGenerator.Fill(token);
        var expiresAt = Min(now + ShareLinks.OpeningTokenLifetime, S.ExpiresAt);
        S.Tokens.Add(new OpeningToken(SHA256.HashData(token), expiresAt));
        await state.WriteStateAsync();
        return new ShareOpening(Base64Url(token), expiresAt, documents, S.ExpiresAt, Math.Max(0, S.MaxOpenings - S.Openings));
    }

    async Task<DocumentEntry?> IShareLinkGrain.AuthorizeDownloadAsync(string openingToken, string documentId)
    {
        if (S.VaultId is null)
        {
            this.DeactivateOnIdle();
            return null;
        }
        var now = clock.GetUtcNow();
        if (LiveToken(openingToken, now) is not { } t || S.Tokens[t].Downloads >= ShareLinks.DownloadsPerDocument * S.DocumentIds.Count
            || now >= S.ExpiresAt || S.RevokedAt is not null || S.LockedAt is not null || !S.DocumentIds.Contains(documentId))
        {
            return null;
        }
        // The vault decides as it is now (revoked, closed, the document deleted or hidden since: null).
        var document = await Vault.AuthorizeShareDownloadAsync(ShareLinkCallers.System, LinkId, documentId);
        if (document is not null)
        {
            S.Tokens[t] = S.Tokens[t] with { Downloads = S.Tokens[t].Downloads + 1 };
            await state.WriteStateAsync();
        }
        return document;
    }

    /// <summary>The index of the live token <paramref name="token"/> names (every kept hash compared in constant time); else null.</summary>
    private int? LiveToken(string? token, DateTimeOffset now)
    {
        if (string.IsNullOrEmpty(token) || token.Length > 64)
        {
            return null;
        }
        Span<byte> raw = stackalloc byte[48];
        if (!TryFromBase64Url(token, raw, out var length) || length != 32)
        {
            return null;
        }
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(raw[..length], hash);
        int? live = null;
        for (var i = 0; i < S.Tokens.Count; i++)
        {
            if (CryptographicOperations.FixedTimeEquals(S.Tokens[i].Hash, hash) && S.Tokens[i].ExpiresAt > now)
            {
                live = i;
            }
        }
        return live;
    }

    private void DropExpiredTokens(DateTimeOffset now) => S.Tokens.RemoveAll(t => t.ExpiresAt <= now);

    private IVaultSharingGrain Vault => GrainFactory.GetGrain<IVaultSharingGrain>(GrainNames.Keys.Vault(S.VaultId!));

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static bool TryFromBase64Url(string text, Span<byte> destination, out int written)
    {
        var padded = text.Replace('-', '+').Replace('_', '/');
        padded += (padded.Length % 4) switch { 2 => "==", 3 => "=", _ => "" };
        return Convert.TryFromBase64String(padded, destination, out written);
    }

    [LoggerMessage(EventId = 2400, Level = LogLevel.Warning, Message = "share link locked after {Attempts} wrong codes")]
    private static partial void LogLocked(ILogger logger, int attempts);
}

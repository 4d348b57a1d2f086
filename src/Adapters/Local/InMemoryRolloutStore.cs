using System.Runtime.CompilerServices;
using System.Text;
using Coffre.Application.Outbox;
using Coffre.Application.Rollout;
using Coffre.Domain.Content;
using Coffre.Domain.Documents;
using Coffre.Domain.Rollout;

namespace Coffre.Adapters.Local;

/// <summary>
/// The rollout store in process memory, for the embedded default and tests: the whole <see cref="IRolloutStore"/>
/// contract at small scale, under one lock. Email batches' outbox messages and requeued activation emails go to the
/// given outbox (requeued ones withdrawn on revocation when it is an <see cref="InMemoryOutbox"/>). Nothing survives a restart.
/// </summary>
public sealed class InMemoryRolloutStore(IOutbox outbox, TimeProvider? time = null) : IRolloutStore
{
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly Lock _lock = new();
    private readonly Dictionary<Hash256, Person> _people = [];
    private readonly Dictionary<string, Person> _byVault = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ImportRun> _imports = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Dictionary<Hash256, ImportChunk.DecodedRow>> _loading = new(StringComparer.Ordinal);
    private readonly Dictionary<string, CampaignEntry> _campaigns = new(StringComparer.Ordinal);
    private readonly List<Code> _codes = [];
    private readonly Dictionary<Hash256, Code> _valid = [];
    private readonly Dictionary<Hash256, List<Code>> _codesByPerson = [];
    private readonly Dictionary<(string Campaign, int BatchNo), PrintBatch> _batches = [];
    private readonly Dictionary<(string Campaign, int BatchNo), EmailBatch> _emailBatches = [];
    private readonly Dictionary<Hash256, Opposition> _oppositions = [];
    private readonly Dictionary<DateOnly, long> _refusals = [];
    private readonly HashSet<string> _issuing = new(StringComparer.Ordinal);
    private readonly Dictionary<Guid, Bounce> _bounces = [];
    private readonly HashSet<Hash256> _claims = [];

    // ---------------------------------------------------------------- import

    public Task<ImportRun?> GetImportAsync(string importId, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            return Task.FromResult(_imports.GetValueOrDefault(importId));
        }
    }

    public Task<ImportRun> BeginImportAsync(string importId, string fileName, string fileSha256, DateTimeOffset startedAt,
        ImportMode? mode = ImportMode.Upsert, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(importId);
        ArgumentException.ThrowIfNullOrEmpty(fileName);
        var sha = Sha256Hex.Normalise(fileSha256) ?? throw new ArgumentException("file SHA-256 must be 64 hex characters", nameof(fileSha256));
        lock (_lock)
        {
            if (_imports.TryGetValue(importId, out var existing))
            {
                return string.Equals(existing.FileSha256, sha, StringComparison.Ordinal)
                    ? Task.FromResult(existing)
                    : throw new ImportFileMismatchException(importId, existing.FileSha256, sha);
            }
            if (_imports.Values.FirstOrDefault(r => r.Mode == ImportMode.InitialLoad && r.CompletedAt is null) is { } other)
            {
                throw new ImportModeException($"the initial load '{other.ImportId}' is not complete: resume it before starting another import");
            }
            if (mode == ImportMode.InitialLoad && _people.Count > 0)
            {
                throw new ImportModeException("an initial load needs an empty registry: import with mode Upsert");
            }
            var chosen = mode ?? (_people.Count == 0 ? ImportMode.InitialLoad : ImportMode.Upsert);
            if (chosen == ImportMode.InitialLoad)
            {
                _loading[importId] = [];
            }
            var run = new ImportRun(importId, fileName, sha, chosen, RolloutRules.Micros(startedAt), null, 0, 0, 0);
            _imports[importId] = run;
            return Task.FromResult(run);
        }
    }

    public Task CommitImportChunkAsync(ImportChunk chunk, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(chunk);
        cancellationToken.ThrowIfCancellationRequested();
        var rows = chunk.DecodeRows();
        lock (_lock)
        {
            if (!_imports.TryGetValue(chunk.ImportId, out var run) || run.LinesDone != chunk.ResumesAfterLine || run.CompletedAt is not null)
            {
                throw new ImportCheckpointException(
                    $"import '{chunk.ImportId}' is no longer at line {chunk.ResumesAfterLine} (another importer, or it is complete): chunk not stored");
            }
            if (run.Mode == ImportMode.InitialLoad)
            {
                var loading = _loading[chunk.ImportId];
                foreach (var row in rows)
                {
                    loading[Hash256.From(row.Row.NirHash)] = row;   // a later line replaces an earlier one
                }
            }
            else
            {
                foreach (var row in rows)
                {
                    Upsert(row);
                }
            }
            _imports[chunk.ImportId] = run with
            {
                LinesDone = chunk.LastLine,
                RowsAccepted = run.RowsAccepted + chunk.Rows,
                RowsRejected = run.RowsRejected + chunk.Rejects.Count,
            };
        }
        return Task.CompletedTask;
    }

    public Task<ImportRun> CompleteImportAsync(string importId, DateTimeOffset completedAt, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            if (!_imports.TryGetValue(importId, out var run))
            {
                throw new RolloutException($"import '{importId}' does not exist");
            }
            if (run.CompletedAt is null)
            {
                if (_loading.Remove(importId, out var loaded))
                {
                    foreach (var row in loaded.Values)
                    {
                        if (!_people.ContainsKey(Hash256.From(row.Row.NirHash)))   // a row written meanwhile (an opposition) wins
                        {
                            Upsert(row);
                        }
                    }
                }
                _imports[importId] = run = run with { CompletedAt = RolloutRules.Micros(completedAt) };
            }
            return Task.FromResult(run);
        }
    }

    private void Upsert(ImportChunk.DecodedRow decoded)
    {
        var row = decoded.Row;
        var key = Hash256.From(row.NirHash);
        if (!_people.TryGetValue(key, out var person))
        {
            person = new Person(row.NirHash, row.VaultId);
            _people[key] = person;
            _byVault[person.VaultId] = person;
        }
        else if (person.Status is PersonStatus.Opposed or PersonStatus.Closed || person.SameData(row, decoded.Departement))
        {
            return;
        }
        person.Set(row, decoded.Departement, decoded.ImportId, RolloutRules.Micros(decoded.UpdatedAt));
    }

    // ---------------------------------------------------------------- registry

    public Task<RegistryPerson?> FindPersonAsync(byte[] nirHash, CancellationToken cancellationToken = default)
    {
        var key = Key(nirHash);
        lock (_lock)
        {
            return Task.FromResult(_people.TryGetValue(key, out var person) ? person.ToRecord() : null);
        }
    }

    public Task<RegistryPerson?> FindPersonByVaultIdAsync(string vaultId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(vaultId);
        lock (_lock)
        {
            if (!_byVault.TryGetValue(vaultId, out var person))
            {
                return Task.FromResult<RegistryPerson?>(null);
            }
            DateTimeOffset? window = null;
            if (person.Status == PersonStatus.Registered && person.WindowClosedAt is null && _codesByPerson.TryGetValue(person.Key, out var codes))
            {
                foreach (var code in codes.Where(c => c.Status is CodeStatus.Valid or CodeStatus.Locked))
                {
                    var ends = Campaign(code.CampaignId).Campaign.OppositionWindowEndsAt;
                    window = window is { } w && w >= ends ? w : ends;
                }
            }
            return Task.FromResult<RegistryPerson?>(person.ToRecord() with { OppositionWindowEndsAt = window, WindowClosedAt = person.WindowClosedAt });
        }
    }

    /// <summary>In code order: <paramref name="after"/> is the last code id read.</summary>
    public Task<WindowCloseChunk> CloseOppositionWindowChunkAsync(string campaignId, long after, int chunkSize, DateTimeOffset at,
        CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(chunkSize, 1);
        lock (_lock)
        {
            var codes = _codes.Where(c => c.Id > after && c.CampaignId == campaignId).Take(chunkSize).ToList();
            var created = 0;
            foreach (var key in codes.Select(c => c.Nir).Distinct())
            {
                if (_people.TryGetValue(key, out var person) && person.Status == PersonStatus.Registered && person.WindowClosedAt is null
                    && !_codes.Any(o => o.Nir == key && o.Status is CodeStatus.Valid or CodeStatus.Locked
                        && _campaigns.TryGetValue(o.CampaignId, out var k) && k.Campaign.OppositionWindowEndsAt > at))
                {
                    person.WindowClosedAt = RolloutRules.Micros(at);
                    person.UpdatedAt = RolloutRules.Micros(at);
                    created++;
                }
            }
            return Task.FromResult(new WindowCloseChunk(codes.Count > 0 ? codes[^1].Id : after, codes.Count, created, Done: codes.Count < chunkSize));
        }
    }

    public Task<IReadOnlyList<string>> ListVaultsBornOnAsync(DateOnly birthDate, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            return Task.FromResult<IReadOnlyList<string>>([.. _people.Values
                .Where(p => p.BirthDate == birthDate && p.Status is PersonStatus.Registered or PersonStatus.Activated)
                .Select(p => p.VaultId).Order(StringComparer.Ordinal)]);
        }
    }

    public Task<long> CountPeopleAsync(CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            return Task.FromResult((long)_people.Count);
        }
    }

    // ---------------------------------------------------------------- campaigns

    public Task<Campaign> CreateCampaignAsync(NewCampaign campaign, DateTimeOffset createdAt, CancellationToken cancellationToken = default)
    {
        var wanted = RolloutRules.Campaign(campaign, createdAt);
        lock (_lock)
        {
            if (!_campaigns.TryGetValue(wanted.CampaignId, out var entry))
            {
                _campaigns[wanted.CampaignId] = entry = new CampaignEntry(wanted);
            }
            RolloutRules.CheckSameDefinition(entry.Campaign, wanted);
            return Task.FromResult(entry.Campaign);
        }
    }

    public Task<Campaign?> GetCampaignAsync(string campaignId, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            return Task.FromResult(_campaigns.TryGetValue(campaignId, out var entry) ? entry.Campaign : null);
        }
    }

    public Task<IReadOnlyList<Campaign>> ListCampaignsAsync(CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            IReadOnlyList<Campaign> list = [.. _campaigns.Values.Select(e => e.Campaign).OrderBy(c => c.CreatedAt).ThenBy(c => c.CampaignId, StringComparer.Ordinal)];
            return Task.FromResult(list);
        }
    }

    public Task SetCampaignStatusAsync(string campaignId, CampaignStatus status, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            var entry = Campaign(campaignId);
            entry.Campaign = entry.Campaign with { Status = status };
        }
        return Task.CompletedTask;
    }

    public async Task<CampaignCounts> GetCampaignCountsAsync(string campaignId, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        long pending;
        CampaignCounts counts;
        HashSet<string> emailRecipients;
        lock (_lock)
        {
            var campaign = Campaign(campaignId).Campaign;
            var codes = _codes.Where(c => c.CampaignId == campaignId).ToList();
            bool Live(Code c) => c.Status == CodeStatus.Valid && c.ExpiresAt >= now;
            var segment = _people.Values.Where(p => InSegment(campaign, p)).ToList();
            var batches = _batches.Values.Where(b => b.CampaignId == campaignId).ToList();
            counts = new CampaignCounts(
                Eligible: _people.Values.Count(p => Eligible(campaign, p, now)),
                IssuedValid: codes.Count(Live),
                ValidByEmail: codes.Count(c => Live(c) && c.Channel == CodeChannel.Email),
                ValidByPost: codes.Count(c => Live(c) && c.Channel == CodeChannel.Post),
                Used: codes.Count(c => c.Status == CodeStatus.Used),
                Revoked: codes.Count(c => c.Status == CodeStatus.Revoked),
                Locked: codes.Count(c => c.Status == CodeStatus.Locked),
                Expired: codes.Count(c => c.Status == CodeStatus.Expired || (c.Status == CodeStatus.Valid && c.ExpiresAt < now)),
                Activated: segment.Count(p => p.Status == PersonStatus.Activated),
                Opposed: segment.Count(p => p.Status is PersonStatus.Opposed or PersonStatus.Closed),
                PrintBatches: batches.Count,
                Letters: batches.Sum(b => (long)b.Letters),
                EmailCodes: codes.Count(c => c.Channel == CodeChannel.Email),
                EmailsPending: 0,
                EmailsBounced: _bounces.Values.Count(b => b.CampaignId == campaignId),
                BouncesAwaitingPost: _bounces.Values.Count(b => b.CampaignId == campaignId && b.Status == BounceStatus.AwaitingPost),
                BouncedUnreachable: _bounces.Values.Count(b => b.CampaignId == campaignId && b.Status == BounceStatus.Unreachable),
                MinorsUnreachable: _people.Values.Count(p => UnreachableMinor(campaign, p, now)));
            emailRecipients = [.. codes.Where(c => c.Channel == CodeChannel.Email).Select(c => _people[c.Nir].VaultId)];
            // Lines of the campaign's email batches the router has not reached, plus requeued lines (below).
            pending = _emailBatches.Values.Where(b => b.CampaignId == campaignId).Sum(b => (long)(b.Emails - b.SentThrough));
        }
        foreach (var recipient in emailRecipients)
        {
            var messages = await outbox.ListForRecipientAsync(recipient, int.MaxValue, cancellationToken).ConfigureAwait(false);
            pending += messages.Count(m => m.Kind == DeliveryCodeCipher.OutboxKind && m.DeliveredAt is null && IsForCampaign(m, campaignId));
        }
        return counts with { EmailsPending = pending };
    }

    public Task<IReadOnlyList<PrintBatch>> ListPrintBatchesAsync(string campaignId, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            IReadOnlyList<PrintBatch> list = [.. _batches.Values.Where(b => b.CampaignId == campaignId).OrderBy(b => b.BatchNo)];
            return Task.FromResult(list);
        }
    }

    // ---------------------------------------------------------------- issuance

    public async IAsyncEnumerable<EligiblePerson> StreamEligibleAsync(string campaignId, EligibleReadTally tally, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(tally);
        List<EligiblePerson> snapshot;
        long unreachableMinors;
        lock (_lock)
        {
            var campaign = Campaign(campaignId).Campaign;
            var now = _time.GetUtcNow();
            snapshot = [.. _people.Values.Where(p => Eligible(campaign, p, now)).OrderBy(p => p.NirHash, ByteOrder).Select(p => ToEligible(campaign, p, now))];
            unreachableMinors = _people.Values.Count(p => UnreachableMinor(campaign, p, now));
        }
        // Adults and minors are each a class of the read: its place is how many of its class were yielded so far.
        var minorsInAll = snapshot.Count(p => p.ForRepresentatives);
        var adultsInAll = snapshot.Count - minorsInAll;
        long adults = 0, minors = 0;
        foreach (var person in snapshot)
        {
            cancellationToken.ThrowIfCancellationRequested();
            tally.Place = person.ForRepresentatives ? (double)++minors / minorsInAll : (double)++adults / adultsInAll;
            yield return person;
        }
        tally.UnreachableMinors += unreachableMinors;
        await Task.CompletedTask.ConfigureAwait(false);
    }

    public Task<EligiblePerson?> FindEligibleAsync(string campaignId, byte[] nirHash, CancellationToken cancellationToken = default)
    {
        var key = Key(nirHash);
        lock (_lock)
        {
            var campaign = Campaign(campaignId).Campaign;
            var now = _time.GetUtcNow();
            return Task.FromResult(_people.TryGetValue(key, out var p) && Eligible(campaign, p, now) ? ToEligible(campaign, p, now) : null);
        }
    }

    public Task<long> CountEligibleAsync(string campaignId, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            var campaign = Campaign(campaignId).Campaign;
            return Task.FromResult((long)_people.Values.Count(p => Eligible(campaign, p, _time.GetUtcNow())));
        }
    }

    public Task<long> CountUnreachableMinorsAsync(string campaignId, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            var campaign = Campaign(campaignId).Campaign;
            return Task.FromResult((long)_people.Values.Count(p => UnreachableMinor(campaign, p, _time.GetUtcNow())));
        }
    }

    public Task<long> ExpireCodesAsync(DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            var expired = _valid.Values.Where(c => c.ExpiresAt < now).ToList();
            foreach (var code in expired)
            {
                Close(code, CodeStatus.Expired, now);
            }
            return Task.FromResult((long)expired.Count);
        }
    }

    public Task<int> AllocatePrintBatchAsync(string campaignId, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            return Task.FromResult(Campaign(campaignId).NextBatchNo++);
        }
    }

    public Task<IAsyncDisposable> LockIssuanceAsync(string campaignId, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            if (!_issuing.Add(campaignId))
            {
                throw new IssuanceInProgressException(campaignId);
            }
        }
        return Task.FromResult<IAsyncDisposable>(new Release(this, campaignId));
    }

    public async Task CommitIssuanceAsync(IssuanceChunk chunk, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(chunk);
        RolloutRules.CheckChunk(chunk);
        cancellationToken.ThrowIfCancellationRequested();
        if (chunk.Count == 0)
        {
            return;
        }
        var added = new List<Code>(chunk.Count);
        var messages = new List<OutboxMessage>(chunk.Emails);
        var posted = new List<Bounce>();
        lock (_lock)
        {
            var seen = new HashSet<Hash256>();
            for (var i = 0; i < chunk.Count; i++)
            {
                var key = Hash256.From(chunk.NirHash(i));
                if (_valid.ContainsKey(key) || !seen.Add(key))
                {
                    throw new IssuanceConflictException(
                        $"an issuance chunk of campaign '{chunk.CampaignId}' ({chunk.Count} codes) was refused: someone in it already holds a valid code");
                }
            }
            if (chunk.PrintBatch is { } batch && _batches.ContainsKey((batch.CampaignId, batch.BatchNo)))
            {
                throw new RolloutException($"print batch {batch.BatchNo} of campaign '{batch.CampaignId}' is already committed");
            }
            if (chunk.EmailBatch is { } emails && _emailBatches.ContainsKey((emails.CampaignId, emails.BatchNo)))
            {
                throw new RolloutException($"email batch {emails.BatchNo} of campaign '{emails.CampaignId}' is already committed");
            }
            for (var i = 0; i < chunk.Count; i++)
            {
                var channel = chunk.Channel(i);
                var code = new Code(_codes.Count + 1, chunk.CampaignId, Hash256.From(chunk.NirHash(i)), chunk.KeyId, chunk.CodeHash(i).ToArray(),
                    RolloutRules.Micros(chunk.IssuedAt), RolloutRules.Micros(chunk.ExpiresAt), channel, chunk.BatchNo);
                _codes.Add(code);
                _valid[code.Nir] = code;
                if (!_codesByPerson.TryGetValue(code.Nir, out var list))
                {
                    _codesByPerson[code.Nir] = list = [];
                }
                list.Add(code);
                added.Add(code);
            }
            if (chunk.EmailBatch is { } emailBatch)
            {
                var createdAt = RolloutRules.Micros(emailBatch.CreatedAt);
                _emailBatches[(emailBatch.CampaignId, emailBatch.BatchNo)] = emailBatch with { CreatedAt = createdAt };
                messages.Add(new OutboxMessage(EmailBatchFiles.MessageId(emailBatch.CampaignId, emailBatch.BatchNo), OutboxChannel.Email,
                    emailBatch.CampaignId, EmailBatchFiles.OutboxKind, EmailBatchFiles.MessagePayload(emailBatch.CampaignId, emailBatch.BatchNo), createdAt));
            }
            if (chunk.PrintBatch is { } committed)
            {
                _batches[(committed.CampaignId, committed.BatchNo)] = committed with { CreatedAt = RolloutRules.Micros(committed.CreatedAt) };
            }
            foreach (var id in chunk.PostedBounces)
            {
                if (_bounces.TryGetValue(id, out var bounce) && bounce.Status == BounceStatus.AwaitingPost)
                {
                    bounce.Status = BounceStatus.Posted;
                    bounce.BatchNo = chunk.BatchNo;
                    posted.Add(bounce);
                }
            }
        }
        try
        {
            await outbox.EnqueueAsync(messages, CancellationToken.None).ConfigureAwait(false);
        }
        catch
        {
            lock (_lock)
            {
                foreach (var code in added)
                {
                    _codes.Remove(code);
                    _valid.Remove(code.Nir);
                    _codesByPerson[code.Nir].Remove(code);
                }
                if (chunk.PrintBatch is { } batch)
                {
                    _batches.Remove((batch.CampaignId, batch.BatchNo));
                }
                if (chunk.EmailBatch is { } emails)
                {
                    _emailBatches.Remove((emails.CampaignId, emails.BatchNo));
                }
                foreach (var bounce in posted)
                {
                    bounce.Status = BounceStatus.AwaitingPost;
                    bounce.BatchNo = null;
                }
            }
            throw;
        }
    }

    public Task<int> RevokeCodesAsync(byte[] nirHash, DateTimeOffset at, CancellationToken cancellationToken = default)
    {
        var key = Key(nirHash);
        lock (_lock)
        {
            return Task.FromResult(Revoke(key, at));
        }
    }

    public Task<int> RevokeCodesOfOpposedAsync(DateTimeOffset since, DateTimeOffset at, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            var revoked = 0;
            foreach (var opposition in _oppositions.Where(o => o.Value.RecordedAt >= since).ToList())
            {
                if (_valid.TryGetValue(opposition.Key, out var code))
                {
                    Close(code, CodeStatus.Revoked, at);
                    revoked++;
                    WithdrawEmails(opposition.Key);
                }
            }
            return Task.FromResult(revoked);
        }
    }

    // ---------------------------------------------------------------- campaign emails

    public Task<IReadOnlyDictionary<string, EmailRecipient>> FindEmailRecipientsAsync(IReadOnlyCollection<string> vaultIds, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(vaultIds);
        lock (_lock)
        {
            var found = new Dictionary<string, EmailRecipient>(StringComparer.Ordinal);
            foreach (var vaultId in vaultIds)
            {
                if (_byVault.TryGetValue(vaultId, out var p))
                {
                    var code = _valid.GetValueOrDefault(p.Key);
                    var contact = Contact(p, _time.GetUtcNow());
                    var email = code is { Channel: CodeChannel.Email } ? code : null;
                    found[vaultId] = new EmailRecipient(vaultId, contact.Email, p.GivenNames, p.Status, email?.CampaignId,
                        contact.ForRepresentatives, email?.CodeHash.ToArray());
                }
            }
            return Task.FromResult<IReadOnlyDictionary<string, EmailRecipient>>(found);
        }
    }

    public Task<EmailBatch?> GetEmailBatchAsync(string campaignId, int batchNo, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            return Task.FromResult(_emailBatches.GetValueOrDefault((campaignId, batchNo)));
        }
    }

    public Task<IReadOnlyList<EmailBatch>> ListEmailBatchesAsync(string campaignId, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            IReadOnlyList<EmailBatch> list = [.. _emailBatches.Values.Where(b => b.CampaignId == campaignId).OrderBy(b => b.BatchNo)];
            return Task.FromResult(list);
        }
    }

    public async Task<bool> AdvanceEmailBatchAsync(EmailBatchAdvance advance, CancellationToken cancellationToken = default)
    {
        RolloutRules.CheckAdvance(advance);
        cancellationToken.ThrowIfCancellationRequested();
        var key = (advance.CampaignId, advance.BatchNo);
        EmailBatch before;
        lock (_lock)
        {
            if (!_emailBatches.TryGetValue(key, out before!) || before.SentThrough != advance.From || advance.To > before.Emails)
            {
                return false;
            }
            _emailBatches[key] = before with
            {
                SentThrough = advance.To,
                Sent = before.Sent + advance.Sent,
                Bounced = before.Bounced + advance.Bounced,
                Undeliverable = before.Undeliverable + advance.Undeliverable,
                Requeued = before.Requeued + advance.RequeuedMessages.Count,
                CompletedAt = before.CompletedAt ?? (advance.CompletedAt is { } at ? RolloutRules.Micros(at) : null),
            };
        }
        try
        {
            var now = _time.GetUtcNow();
            await outbox.EnqueueAsync([.. advance.RequeuedMessages.Select(m => m with { CreatedAt = now, DueAt = null })], CancellationToken.None).ConfigureAwait(false);
        }
        catch
        {
            lock (_lock)
            {
                _emailBatches[key] = before;
            }
            throw;
        }
        return true;
    }

    public Task<int> RecordEmailBouncesAsync(IReadOnlyList<EmailBounce> bounces, DateTimeOffset at, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(bounces);
        lock (_lock)
        {
            var recorded = 0;
            foreach (var b in bounces)
            {
                if (_bounces.ContainsKey(b.OutboxId) || !_byVault.TryGetValue(b.VaultId, out var person))
                {
                    continue;
                }
                _bounces[b.OutboxId] = new Bounce(b.OutboxId, b.CampaignId, person.Key, RolloutRules.Micros(at));
                recorded++;
                if (_valid.TryGetValue(person.Key, out var code) && code.Channel == CodeChannel.Email && code.CampaignId == b.CampaignId)
                {
                    Close(code, CodeStatus.Revoked, at);
                }
            }
            return Task.FromResult(recorded);
        }
    }

    public Task<IReadOnlyList<BouncedPerson>> ListBouncesAwaitingPostAsync(string campaignId, int max, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(campaignId);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(max);
        lock (_lock)
        {
            IReadOnlyList<BouncedPerson> list = [.. _bounces.Values
                .Where(b => b.CampaignId == campaignId && b.Status == BounceStatus.AwaitingPost)
                .OrderBy(b => b.BouncedAt).ThenBy(b => b.OutboxId)
                .Take(max)
                .Select(b =>
                {
                    var p = _people[b.Nir];
                    var eligible = p.Status == PersonStatus.Registered && !_valid.ContainsKey(p.Key)
                        && !(_codesByPerson.TryGetValue(p.Key, out var codes) && codes.Any(c => c.Status == CodeStatus.Locked));
                    var contact = Contact(p, _time.GetUtcNow());
                    return new BouncedPerson(b.OutboxId, p.NirHash.ToArray(), p.VaultId, eligible, p.GivenNames,
                        contact.ForRepresentatives ? null : p.FamilyName, contact.Address, contact.ForRepresentatives);
                })];
            return Task.FromResult(list);
        }
    }

    public Task<int> SettleBouncesAsync(IReadOnlyList<Guid> outboxIds, BounceStatus status, DateTimeOffset at, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(outboxIds);
        if (status is not (BounceStatus.Unreachable or BounceStatus.Superseded))
        {
            throw new ArgumentOutOfRangeException(nameof(status), "bounces are settled as unreachable or superseded (posting commits with the letter)");
        }
        lock (_lock)
        {
            var settled = 0;
            foreach (var id in outboxIds)
            {
                if (_bounces.TryGetValue(id, out var bounce) && bounce.Status == BounceStatus.AwaitingPost)
                {
                    bounce.Status = status;
                    settled++;
                }
            }
            return Task.FromResult(settled);
        }
    }

    // ---------------------------------------------------------------- activation

    public Task RecordIdentityClaimAsync(byte[] nirHash, DateTimeOffset at, CancellationToken cancellationToken = default)
    {
        var key = Key(nirHash);
        lock (_lock)
        {
            _claims.Add(key);
        }
        return Task.CompletedTask;
    }

    public Task<ActivationCodeRecord?> FindValidCodeAsync(byte[] nirHash, CancellationToken cancellationToken = default)
    {
        var key = Key(nirHash);
        lock (_lock)
        {
            if (!_valid.TryGetValue(key, out var c) || !_people.TryGetValue(key, out var p))
            {
                return Task.FromResult<ActivationCodeRecord?>(null);
            }
            // A minor (no Vitale serial): their representatives' Vitale hashes, as the PostgreSQL store reads them.
            // With their NIR hashes, in the same order (whose card matched).
            var cards = p.VitaleHash is null && p.Representatives.Count > 0
                ? p.Representatives.Where(h => _people.GetValueOrDefault(Key(h)) is { VitaleHash: not null, Status: PersonStatus.Registered or PersonStatus.Activated })
                    .Select(h => (Nir: h.ToArray(), Vitale: _people[Key(h)].VitaleHash!.ToArray())).ToList()
                : null;
            return Task.FromResult<ActivationCodeRecord?>(new ActivationCodeRecord(c.Id, c.CampaignId, c.KeyId, c.CodeHash.ToArray(), c.IssuedAt,
                c.ExpiresAt, c.Attempts, p.VaultId, p.BirthDate, p.VitaleHash?.ToArray(), p.Status, cards?.Select(r => r.Vitale).ToList(),
                cards?.Select(r => r.Nir).ToList(), _claims.Contains(key)));
        }
    }

    public async Task<IReadOnlyList<ActivationCodeRecord?>> FindValidCodesAsync(IReadOnlyList<byte[]> nirHashes, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(nirHashes);
        var found = new ActivationCodeRecord?[nirHashes.Count];
        for (var i = 0; i < found.Length; i++)
        {
            found[i] = await FindValidCodeAsync(nirHashes[i], cancellationToken);
        }
        return found;
    }

    /// <summary>The same settlement as PostgreSQL's; activation events are left to the caller's audit log (no tip is read here).</summary>
    public Task<SettledActivations> SettleActivationsAsync(ActivationSettlement settlement, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(settlement);
        ArgumentOutOfRangeException.ThrowIfLessThan(settlement.MaxAttempts, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(settlement.MaxAttempts, short.MaxValue);
        if (settlement.Consume.Select(c => c.CodeId).Distinct().Count() != settlement.Consume.Count)
        {
            throw new ArgumentException("a code is consumed at most once per settlement", nameof(settlement));
        }
        var day = RolloutRules.RefusalDay(settlement.Now);
        lock (_lock)
        {
            // All checks before any change: the settlement applies as a whole (the same outcome as the one PostgreSQL statement).
            var used = settlement.Consume
                .Where(c => ValidCodeOf(c.NirHash, c.CodeId) is { } code && code.ExpiresAt >= settlement.ExpiryCutoff
                    && _people.TryGetValue(code.Nir, out var person) && person.Status == PersonStatus.Registered)
                .Select(c => c.CodeId)
                .ToHashSet();
            var refused = settlement.Refusals.Select(r => (r.NirHash, r.CodeId, Counted: r.CountAttempt && r.CodeId is not null))
                .Concat(settlement.Consume.Where(c => !used.Contains(c.CodeId)).Select(c => (c.NirHash, CodeId: (long?)c.CodeId, Counted: true)))
                .ToList();
            foreach (var codeId in used)
            {
                var code = CodeById(codeId)!;
                Close(code, CodeStatus.Used, settlement.Now);
                var person = _people[code.Nir];
                person.Status = PersonStatus.Activated;
                person.UpdatedAt = RolloutRules.Micros(settlement.Now);
            }
            foreach (var group in refused.Where(r => r.Counted && !used.Contains(r.CodeId!.Value)).GroupBy(r => (r.CodeId!.Value, Key(r.NirHash))))
            {
                if (ValidCodeOf(group.First().NirHash, group.Key.Value) is { } code)
                {
                    code.Attempts += group.Count();
                    if (code.Attempts >= settlement.MaxAttempts)
                    {
                        Close(code, CodeStatus.Locked, settlement.Now);
                    }
                }
            }
            if (refused.Count > 0)
            {
                _refusals[day] = _refusals.GetValueOrDefault(day) + refused.Count;
            }
            return Task.FromResult(new SettledActivations(used, new HashSet<long>()));
        }
    }

    public Task<FailedAttemptResult> RecordFailedAttemptAsync(byte[] nirHash, long codeId, int maxAttempts, DateTimeOffset at,
        CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxAttempts, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxAttempts, short.MaxValue);
        lock (_lock)
        {
            if (ValidCodeOf(nirHash, codeId) is not { } code)
            {
                return Task.FromResult(new FailedAttemptResult(false, 0, false));
            }
            code.Attempts++;
            if (code.Attempts >= maxAttempts)
            {
                Close(code, CodeStatus.Locked, at);
            }
            return Task.FromResult(new FailedAttemptResult(true, code.Attempts, code.Status == CodeStatus.Locked));
        }
    }

    public Task<bool> ConsumeCodeAsync(byte[] nirHash, long codeId, DateTimeOffset now, CancellationToken cancellationToken = default,
        DateTimeOffset? expiryCutoff = null)
    {
        lock (_lock)
        {
            if (ValidCodeOf(nirHash, codeId) is not { } code || code.ExpiresAt < (expiryCutoff ?? now)
                || !_people.TryGetValue(code.Nir, out var person) || person.Status != PersonStatus.Registered)
            {
                return Task.FromResult(false);
            }
            Close(code, CodeStatus.Used, now);
            person.Status = PersonStatus.Activated;
            person.UpdatedAt = RolloutRules.Micros(now);
            return Task.FromResult(true);
        }
    }

    public Task<bool> MarkActivatedAsync(byte[] nirHash, DateTimeOffset at, CancellationToken cancellationToken = default)
    {
        var key = Key(nirHash);
        lock (_lock)
        {
            if (!_people.TryGetValue(key, out var person) || person.Status != PersonStatus.Registered)
            {
                return Task.FromResult(false);
            }
            person.Status = PersonStatus.Activated;
            person.UpdatedAt = RolloutRules.Micros(at);
            return Task.FromResult(true);
        }
    }

    public Task<FailedAttemptResult> RecordRefusalAsync(byte[] nirHash, long? codeId, bool countAttempt, int maxAttempts, DateTimeOffset at,
        CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxAttempts, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxAttempts, short.MaxValue);
        var day = RolloutRules.RefusalDay(at);
        lock (_lock)
        {
            _refusals[day] = _refusals.GetValueOrDefault(day) + 1;
            if (!countAttempt || ValidCodeOf(nirHash, codeId ?? -1) is not { } code)
            {
                return Task.FromResult(new FailedAttemptResult(false, 0, false));
            }
            code.Attempts++;
            if (code.Attempts >= maxAttempts)
            {
                Close(code, CodeStatus.Locked, at);
            }
            return Task.FromResult(new FailedAttemptResult(true, code.Attempts, code.Status == CodeStatus.Locked));
        }
    }

    public Task<long> CountRefusalsAsync(DateOnly day, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            return Task.FromResult(_refusals.GetValueOrDefault(day));
        }
    }

    // ---------------------------------------------------------------- opposition

    public Task<OppositionResult> RecordOppositionAsync(OppositionRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentException.ThrowIfNullOrEmpty(request.RecordedBy);
        var key = Key(request.NirHash);
        var at = RolloutRules.Micros(request.At);
        lock (_lock)
        {
            var already = _oppositions.TryGetValue(key, out var opposition);
            if (!already)
            {
                _oppositions[key] = opposition = new Opposition(request.NirHash.ToArray(), at, request.Channel, request.RecordedBy, RolloutRules.NewReceiptId());
            }
            if (!_people.TryGetValue(key, out var person))
            {
                person = new Person(request.NirHash.ToArray(), RegistryVaultIds.For(request.NirHash)) { UpdatedAt = at };
                _people[key] = person;
                _byVault[person.VaultId] = person;
            }
            var wasActivated = person.Status is PersonStatus.Activated or PersonStatus.Closed;
            person.Purge(wasActivated ? PersonStatus.Closed : PersonStatus.Opposed, at);
            var revoked = Revoke(key, at);
            return Task.FromResult(new OppositionResult(opposition!.ReceiptId, opposition.RecordedAt, person.VaultId, already, wasActivated, revoked));
        }
    }

    public Task<Opposition?> GetOppositionAsync(byte[] nirHash, CancellationToken cancellationToken = default)
    {
        var key = Key(nirHash);
        lock (_lock)
        {
            return Task.FromResult(_oppositions.GetValueOrDefault(key));
        }
    }

    // ---------------------------------------------------------------- helpers

    private static readonly Comparer<byte[]> ByteOrder = Comparer<byte[]>.Create((a, b) => a.AsSpan().SequenceCompareTo(b));

    private static Hash256 Key(byte[] nirHash)
    {
        ArgumentNullException.ThrowIfNull(nirHash);
        return Hash256.From(nirHash);
    }

    private CampaignEntry Campaign(string campaignId) =>
        _campaigns.TryGetValue(campaignId, out var entry) ? entry : throw new CampaignNotFoundException(campaignId);

    private Code? CodeById(long codeId) => codeId >= 1 && codeId <= _codes.Count ? _codes[(int)codeId - 1] : null;

    /// <summary>The code <paramref name="codeId"/> when it is the valid code of the person <paramref name="nirHash"/> (as PostgreSQL finds it).</summary>
    private Code? ValidCodeOf(byte[] nirHash, long codeId) =>
        CodeById(codeId) is { Status: CodeStatus.Valid } code && code.Nir == Key(nirHash) ? code : null;

    private static bool InSegment(Campaign campaign, Person p) =>
        campaign.Departements is null || (p.Departement is not null && campaign.Departements.Contains(p.Departement, StringComparer.Ordinal));

    private bool Eligible(Campaign campaign, Person p, DateTimeOffset now) =>
        EligibleSoFar(campaign, p) && Reachable(campaign, p, Contact(p, now));

    private bool UnreachableMinor(Campaign campaign, Person p, DateTimeOffset now) =>
        EligibleSoFar(campaign, p) && Contact(p, now) is { ForRepresentatives: true } contact && !Reachable(campaign, p, contact);

    /// <summary>Eligibility without reachability.</summary>
    private bool EligibleSoFar(Campaign campaign, Person p) =>
        p.Status == PersonStatus.Registered
        && !_bounces.Values.Any(b => b.CampaignId == campaign.CampaignId && b.Nir.Equals(p.Key) && b.Status == BounceStatus.AwaitingPost)
        && InSegment(campaign, p)
        && !_valid.ContainsKey(p.Key)
        && !(_codesByPerson.TryGetValue(p.Key, out var codes) && codes.Any(c => c.Status == CodeStatus.Locked));

    private bool Reachable(Campaign campaign, Person p, PersonContact contact) => ByEmail(campaign, p, contact) || contact.Address is not null;

    /// <summary>Email unless an activation email of this campaign bounced for them (then post, as the PostgreSQL store decides).</summary>
    private bool ByEmail(Campaign campaign, Person p, PersonContact contact) =>
        contact.Email is not null && !_bounces.Values.Any(b => b.CampaignId == campaign.CampaignId && b.Nir.Equals(p.Key));

    private EligiblePerson ToEligible(Campaign campaign, Person p, DateTimeOffset now)
    {
        var contact = Contact(p, now);
        return ByEmail(campaign, p, contact)
            ? new EligiblePerson(p.NirHash.ToArray(), p.VaultId, true, null, null, null, contact.ForRepresentatives)
            : new EligiblePerson(p.NirHash.ToArray(), p.VaultId, false, p.GivenNames, contact.ForRepresentatives ? null : p.FamilyName, contact.Address,
                contact.ForRepresentatives);
    }

    /// <summary>
    /// Where a person is written to at <paramref name="now"/>: their own email and address, or, under 18, their legal
    /// representatives' (registry rows in representative order, neither opposed nor closed: the first with an email, the
    /// first with an address), as the PostgreSQL store reads them.
    /// </summary>
    private PersonContact Contact(Person p, DateTimeOffset now)
    {
        if (!RolloutRules.IsMinorAt(p.BirthDate, now))
        {
            return new PersonContact(p.Email, p.Address, false);
        }
        var representatives = p.Representatives
            .Select(h => _people.GetValueOrDefault(Hash256.From(h)))
            .Where(r => r is { Status: PersonStatus.Registered or PersonStatus.Activated })
            .ToList();
        return new PersonContact(representatives.FirstOrDefault(r => r!.Email is not null)?.Email,
            representatives.FirstOrDefault(r => r!.Address is not null)?.Address, true);
    }

    private readonly record struct PersonContact(string? Email, PostalAddress? Address, bool ForRepresentatives);

    private int Revoke(Hash256 key, DateTimeOffset at)
    {
        var revoked = 0;
        if (_codesByPerson.TryGetValue(key, out var codes))
        {
            foreach (var code in codes.Where(c => c.Status is CodeStatus.Valid or CodeStatus.Locked))
            {
                Close(code, CodeStatus.Revoked, at);
                revoked++;
            }
        }
        WithdrawEmails(key);
        return revoked;
    }

    private void WithdrawEmails(Hash256 key)
    {
        if (outbox is InMemoryOutbox memory && _people.TryGetValue(key, out var person))
        {
            memory.RemoveUndelivered(person.VaultId, DeliveryCodeCipher.OutboxKind);
        }
    }

    private void Close(Code code, CodeStatus status, DateTimeOffset at)
    {
        if (code.Status == CodeStatus.Valid)
        {
            _valid.Remove(code.Nir);
        }
        code.Status = status;
        code.ClosedAt = RolloutRules.Micros(at);
    }

    private static bool IsForCampaign(OutboxMessage message, string campaignId)
    {
        try
        {
            return DeliveryPayload.Parse(message.PayloadJson).Campaign == campaignId;
        }
        catch (System.Security.Cryptography.CryptographicException)
        {
            return false;
        }
    }

    private sealed class Release(InMemoryRolloutStore store, string campaignId) : IAsyncDisposable
    {
        public ValueTask DisposeAsync()
        {
            lock (store._lock)
            {
                store._issuing.Remove(campaignId);
            }
            return ValueTask.CompletedTask;
        }
    }

    private sealed class Bounce(Guid outboxId, string campaignId, Hash256 nir, DateTimeOffset bouncedAt)
    {
        public Guid OutboxId { get; } = outboxId;
        public string CampaignId { get; } = campaignId;
        public Hash256 Nir { get; } = nir;
        public DateTimeOffset BouncedAt { get; } = bouncedAt;
        public BounceStatus Status { get; set; }
        public int? BatchNo { get; set; }
    }

    private sealed class CampaignEntry(Campaign campaign)
    {
        public Campaign Campaign { get; set; } = campaign;
        public int NextBatchNo { get; set; } = 1;
    }

    private sealed class Code(long id, string campaignId, Hash256 nir, short keyId, byte[] codeHash, DateTimeOffset issuedAt, DateTimeOffset expiresAt,
        CodeChannel channel, int? batchNo)
    {
        public long Id { get; } = id;
        public string CampaignId { get; } = campaignId;
        public Hash256 Nir { get; } = nir;
        public short KeyId { get; } = keyId;
        public byte[] CodeHash { get; } = codeHash;
        public DateTimeOffset IssuedAt { get; } = issuedAt;
        public DateTimeOffset ExpiresAt { get; } = expiresAt;
        public CodeChannel Channel { get; } = channel;
        public int? BatchNo { get; } = batchNo;
        public int Attempts { get; set; }
        public CodeStatus Status { get; set; }
        public DateTimeOffset? ClosedAt { get; set; }
    }

    private sealed class Person(byte[] nirHash, string vaultId)
    {
        public byte[] NirHash { get; } = nirHash;
        public Hash256 Key { get; } = Hash256.From(nirHash);
        public string VaultId { get; } = vaultId;
        public string? NirMasked { get; private set; }
        public DateOnly? BirthDate { get; private set; }
        public string? FamilyName { get; private set; }
        public string? GivenNames { get; private set; }
        public Sex Sex { get; private set; }
        public string? Email { get; private set; }
        public PostalAddress? Address { get; private set; }
        public string? Departement { get; private set; }
        public byte[]? VitaleHash { get; private set; }
        public IReadOnlyList<byte[]> Representatives { get; private set; } = [];
        public PersonStatus Status { get; set; }
        public string? ImportId { get; private set; }
        public DateTimeOffset UpdatedAt { get; set; }
        public DateTimeOffset? WindowClosedAt { get; set; }

        public bool SameData(RegistryRow row, string? departement) =>
            NirMasked == row.NirMasked && BirthDate == row.BirthDate && FamilyName == row.FamilyName && GivenNames == row.GivenNames
            && Sex == row.Sex && Email == row.Email && Address == row.Address && Departement == departement
            && Bytes(VitaleHash, row.VitaleHash)
            && Representatives.Count == row.RepresentativeNirHashes.Count
            && Representatives.Zip(row.RepresentativeNirHashes).All(pair => pair.First.AsSpan().SequenceEqual(pair.Second));

        public void Set(RegistryRow row, string? departement, string importId, DateTimeOffset at)
        {
            NirMasked = row.NirMasked;
            BirthDate = row.BirthDate;
            FamilyName = row.FamilyName;
            GivenNames = row.GivenNames;
            Sex = row.Sex;
            Email = row.Email;
            Address = row.Address;
            Departement = departement;
            VitaleHash = row.VitaleHash?.ToArray();
            Representatives = [.. row.RepresentativeNirHashes.Select(h => h.ToArray())];
            ImportId = importId;
            UpdatedAt = at;
        }

        /// <summary>Keeps nir_hash, vault_id, departement and status (as the PostgreSQL store does).</summary>
        public void Purge(PersonStatus status, DateTimeOffset at)
        {
            NirMasked = null;
            BirthDate = null;
            FamilyName = null;
            GivenNames = null;
            Sex = Sex.Unknown;
            Email = null;
            Address = null;
            VitaleHash = null;
            Representatives = [];
            ImportId = null;
            Status = status;
            UpdatedAt = at;
        }

        public RegistryPerson ToRecord() => new(NirHash.ToArray(), VaultId, NirMasked, BirthDate, FamilyName, GivenNames, Sex, Email, Address,
            Departement, VitaleHash?.ToArray(), [.. Representatives.Select(h => h.ToArray())], Status, ImportId, UpdatedAt);

        private static bool Bytes(byte[]? a, byte[]? b) => a is null ? b is null : b is not null && a.AsSpan().SequenceEqual(b);
    }
}

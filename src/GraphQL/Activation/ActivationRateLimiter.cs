using System.Collections.Concurrent;
using System.ComponentModel.DataAnnotations;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Options;

namespace Coffre.GraphQL.Activation;

/// <summary>Rate limits of code activation and sign-in (configuration section <c>Coffre:Activation:RateLimits</c>).</summary>
public sealed class ActivationRateLimitOptions
{
    public const string Section = "Coffre:Activation:RateLimits";

    /// <summary>
    /// Attempts one client (an IPv4 address, or an IPv6 /64) may make per minute. The bucket holds this many and
    /// refills gradually (one token every 60 s / this), never a whole minute's tokens at once.
    /// </summary>
    [Range(1, int.MaxValue)]
    public int PerClientPerMinute { get; set; } = 30;

    /// <summary>
    /// Attempts on one person (keyed by the NIR's keyed hash, whether or not the registry knows it) per hour, from
    /// all clients together: a burst of this many, then one every 60 min / this. Per silo.
    /// </summary>
    [Range(1, int.MaxValue)]
    public int PerPersonPerHour { get; set; } = 12;

    /// <summary>Attempts the whole service accepts per second (an anomaly brake against spread-out guessing).</summary>
    [Range(1, int.MaxValue)]
    public int GlobalPerSecond { get; set; } = 20_000;
}

/// <summary>
/// Counts every activation, sign-in or online opposition attempt — each alias in a request is one attempt — against
/// a per-client token bucket, a per-person one and a global one. Over a limit the attempt is refused before any work
/// is done. All buckets are true token buckets that refill continuously (no burst at a period boundary). The state
/// is in memory, so the limits hold per silo: a client spread over n silos gets up to n times the rate.
/// </summary>
public sealed class ActivationRateLimiter
{
    private readonly TokenBuckets _perClient;
    private readonly TokenBuckets _perPerson;
    private readonly TokenBuckets _global;

    public ActivationRateLimiter(IOptions<ActivationRateLimitOptions> options, TimeProvider? clock = null)
    {
        var o = options.Value;
        clock ??= TimeProvider.System;
        _perClient = new TokenBuckets(o.PerClientPerMinute, TimeSpan.FromMinutes(1), clock);
        _perPerson = new TokenBuckets(o.PerPersonPerHour, TimeSpan.FromHours(1), clock);
        _global = new TokenBuckets(o.GlobalPerSecond, TimeSpan.FromSeconds(1), clock);
    }

    /// <summary>True when the client may make an attempt (one token taken from its bucket and from the global one).</summary>
    public bool TryAcquire(string client) => _perClient.TryTake(client) && _global.TryTake("");

    /// <summary>
    /// True when one more attempt on the person (<paramref name="personKey"/>: the NIR's keyed hash, computed the same
    /// way for NIRs the registry knows and does not know) is allowed.
    /// </summary>
    public bool TryAcquireForPerson(string personKey) => _perPerson.TryTake(personKey);

    /// <summary>
    /// The rate-limit key of a client address: an IPv4 address as is (also when it arrives IPv4-mapped on a dual-stack
    /// socket), an IPv6 address by its /64 prefix (what one subscriber or host usually holds, so changing the interface
    /// identifier does not give a fresh bucket), "unknown" without an address.
    /// </summary>
    public static string ClientKey(IPAddress? address)
    {
        if (address is null)
        {
            return "unknown";
        }
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }
        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return address.ToString();
        }
        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out _);
        bytes[8..].Clear();
        return new IPAddress(bytes).ToString() + "/64";
    }
}

/// <summary>
/// Token buckets by key: each holds at most <c>capacity</c> tokens and gains capacity / period continuously (fractional
/// tokens accumulate), computed lazily from the clock when a token is asked for. Buckets that have refilled completely
/// are forgotten (a forgotten bucket and a full one are the same), so memory follows the keys active in the last period.
/// </summary>
public sealed class TokenBuckets
{
    private static readonly long SweepInterval = TimeSpan.FromSeconds(30).Ticks;

    private readonly ConcurrentDictionary<string, Bucket> _buckets = new(StringComparer.Ordinal);
    private readonly double _capacity;
    private readonly double _tokensPerTick;
    private readonly TimeProvider _clock;
    private long _nextSweep;
    private int _sweeping;

    public TokenBuckets(int capacity, TimeSpan period, TimeProvider clock)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(period, TimeSpan.Zero);
        _capacity = capacity;
        _tokensPerTick = capacity / (double)period.Ticks;
        _clock = clock;
    }

    /// <summary>Buckets held in memory (those not full).</summary>
    public int Count => _buckets.Count;

    public bool TryTake(string key)
    {
        var now = _clock.GetUtcNow().UtcTicks;
        if (now >= Interlocked.Read(ref _nextSweep) && Interlocked.CompareExchange(ref _sweeping, 1, 0) == 0)
        {
            // At most one sweep every 30 s, by the caller that finds it due (no timer).
            try
            {
                Interlocked.Exchange(ref _nextSweep, now + SweepInterval);
                Sweep(now);
            }
            finally
            {
                Volatile.Write(ref _sweeping, 0);
            }
        }
        while (true)
        {
            var bucket = _buckets.GetOrAdd(key, static (_, state) => new Bucket(state.Capacity, state.Now), (Capacity: _capacity, Now: now));
            lock (bucket)
            {
                if (bucket.Forgotten)
                {
                    continue; // swept meanwhile: take from its replacement
                }
                bucket.Refill(now, _tokensPerTick, _capacity);
                if (bucket.Tokens < 1)
                {
                    return false;
                }
                bucket.Tokens -= 1;
                return true;
            }
        }
    }

    /// <summary>Forgets buckets that are full again.</summary>
    public void Sweep() => Sweep(_clock.GetUtcNow().UtcTicks);

    private void Sweep(long now)
    {
        foreach (var (key, bucket) in _buckets)
        {
            lock (bucket)
            {
                bucket.Refill(now, _tokensPerTick, _capacity);
                if (bucket.Tokens >= _capacity)
                {
                    bucket.Forgotten = true;
                    _buckets.TryRemove(new KeyValuePair<string, Bucket>(key, bucket));
                }
            }
        }
    }

    private sealed class Bucket(double tokens, long at)
    {
        public double Tokens = tokens;
        public long At = at;
        public bool Forgotten;

        public void Refill(long now, double tokensPerTick, double capacity)
        {
            if (now > At)
            {
                Tokens = Math.Min(capacity, Tokens + ((now - At) * tokensPerTick));
                At = now;
            }
        }
    }
}

/// <summary>
/// The PBKDF2 work one GraphQL request may cause (scoped: one per request, or per operation on a WebSocket): the first
/// passphrase-hashing field (<c>signIn</c>, <c>setPassphrase</c>) takes it; later ones in the same request are refused
/// before any hashing, so aliases cannot multiply the cost of a request.
/// </summary>
public sealed class PassphraseWorkBudget
{
    private int _taken;

    /// <summary>True once per request.</summary>
    public bool TryTake() => Interlocked.Exchange(ref _taken, 1) == 0;
}

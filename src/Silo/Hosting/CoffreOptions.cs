namespace Coffre.Silo.Hosting;

/// <summary>What this process is.</summary>
public enum CoffreRole
{
    /// <summary>One process, silo + GraphQL, localhost clustering, memory grain state, content on local disk.</summary>
    Embedded,

    /// <summary>A cluster silo on PostgreSQL (membership, grain state, reminders) and Blob storage (content), serving GraphQL too.</summary>
    Silo,

    /// <summary>The GraphQL front end as a stateless Orleans client of the cluster.</summary>
    Gateway,
}

/// <summary>Configuration section <c>Coffre</c>; every key can be set from the environment as <c>Coffre__Key</c>.</summary>
public sealed class CoffreOptions
{
    public const string Section = "Coffre";

    public CoffreRole Role { get; set; } = CoffreRole.Embedded;

    /// <summary>Folder for the embedded default's content and development signing key.</summary>
    public string DataPath { get; set; } = ".data";

    /// <summary>Blob container holding document content in a cluster.</summary>
    public string BlobContainer { get; set; } = "coffre-content";

    /// <summary>Orleans Dashboard (on in the embedded default, off elsewhere unless set).</summary>
    public bool? Dashboard { get; set; }

    /// <summary>OTLP endpoint for metrics and traces; telemetry is off when empty.</summary>
    public string? OtlpEndpoint { get; set; }

    public ClusterSettings Cluster { get; set; } = new();
}

/// <summary>Configuration section <c>Coffre:Cluster</c>.</summary>
public sealed class ClusterSettings
{
    public string ClusterId { get; set; } = "coffre";
    public string ServiceId { get; set; } = "coffre";

    /// <summary>Address other silos and clients reach this silo at (loopback by default).</summary>
    public string AdvertisedIp { get; set; } = "127.0.0.1";

    public int SiloPort { get; set; } = 11111;
    public int GatewayPort { get; set; } = 30000;

    /// <summary>Listen on every interface (inside containers); loopback-only otherwise.</summary>
    public bool ListenOnAnyHostAddress { get; set; }

    /// <summary>Use Kubernetes hosting (pod name, namespace and IP from the downward API).</summary>
    public bool Kubernetes { get; set; }

    /// <summary>Failure detection: probe timeout. Tuned down from Orleans' 5 s so a dead silo is declared within seconds.</summary>
    public TimeSpan ProbeTimeout { get; set; } = TimeSpan.FromSeconds(2);

    public int NumMissedProbesLimit { get; set; } = 2;

    public TimeSpan TableRefreshTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long a grain call waits for its answer before failing (Orleans' default is 30 s).</summary>
    public TimeSpan ResponseTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// The gateway's response timeout: every call it makes answers an interactive API request, so a call whose
    /// answer was lost (its silo died, no connection drop seen) fails as 503 sooner than a silo's own calls.
    /// </summary>
    public TimeSpan GatewayResponseTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// When a gateway's connection to a silo drops, its grain calls still unanswered this long afterwards fail at once
    /// (503) instead of waiting for their response timeout: an answer in flight through a dead silo never comes.
    /// </summary>
    public TimeSpan ConnectionLossGrace { get; set; } = TimeSpan.FromSeconds(1);
}

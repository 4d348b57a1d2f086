using System.Text;
using System.Text.Json;
using Coffre.Application.Fhir;
using Coffre.Domain.Documents;
using Coffre.Domain.Profile;
using Coffre.Domain.Vaults;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Microsoft.Extensions.DependencyInjection;
using Task = System.Threading.Tasks.Task;

namespace Coffre.Adapters.Fhir;

/// <summary>The FHIR port on Firely's R4 SDK: resources built as POCOs, serialised by the SDK's JSON serialiser.</summary>
public sealed class FhirMapper : IFhirMapper
{
    private static readonly BaseFhirJsonSerializer Serializer = new(ModelInfo.ModelInspector);

    internal static string Json(Resource resource) => Serializer.SerializeToString(resource);

    public string DocumentReference(string vaultId, DocumentEntry document, FhirAttachment attachment) =>
        Json(FhirResources.DocumentReference(vaultId, document, attachment));

    public string AuditEventSearchset(string vaultId, IReadOnlyList<FhirAuditEntry> entries, long total, FhirPageLinks links) =>
        Searchset(vaultId, entries.Select(e => (Resource)FhirResources.AuditEvent(vaultId, e)), total <= int.MaxValue ? (int)total : null, links.Self, links.Next);

    public string ProfileResource(string vaultId, ProfileEntry entry) => Json(FhirProfileResources.Resource(vaultId, entry));

    public string ProfileSearchset(string vaultId, IReadOnlyList<ProfileEntry> entries, string selfUrl) =>
        Searchset(vaultId, entries.Select(e => FhirProfileResources.Resource(vaultId, e)), entries.Count, selfUrl, null);

    /// <summary>A searchset Bundle of <paramref name="resources"/> (each a match), with its self and next links.</summary>
    private static string Searchset(string vaultId, IEnumerable<Resource> resources, int? total, string self, string? next)
    {
        var bundle = new Bundle
        {
            Type = Bundle.BundleType.Searchset,
            Total = total,
            Link = [new Bundle.LinkComponent { Relation = "self", Url = self }],
        };
        if (next is not null)
        {
            bundle.Link.Add(new Bundle.LinkComponent { Relation = "next", Url = next });
        }
        foreach (var resource in resources)
        {
            bundle.Entry.Add(new Bundle.EntryComponent
            {
                FullUrl = $"urn:coffre:{vaultId}:{resource.TypeName}/{resource.Id}",
                Resource = resource,
                Search = new Bundle.SearchComponent { Mode = Bundle.SearchEntryMode.Match },
            });
        }
        return Json(bundle);
    }

    public ProfileEntry ReadProfileResource(string vaultId, string json) => FhirProfileReader.Read(vaultId, json);

    public IFhirBundleWriter OpenCollection(Stream output, string bundleId, DateTimeOffset timestamp) =>
        new CollectionWriter(output, bundleId, timestamp);

    /// <summary>
    /// Writes <c>{"resourceType":"Bundle","id":…,"type":"collection","timestamp":…,"entry":[…]}</c> one entry at a
    /// time: each resource is built and serialised by the SDK alone, then appended, so memory stays bounded by one resource.
    /// </summary>
    private sealed class CollectionWriter : IFhirBundleWriter
    {
        private readonly Stream _output;
        private readonly string _vaultPrefix;
        private bool _first = true;

        public CollectionWriter(Stream output, string bundleId, DateTimeOffset timestamp)
        {
            _output = output;
            _vaultPrefix = "urn:coffre:" + FhirResources.SafeId(bundleId) + ":";
            using var buffer = new MemoryStream();
            using (var json = new Utf8JsonWriter(buffer))
            {
                json.WriteStartObject();
                json.WriteString("resourceType", "Bundle");
                json.WriteString("id", FhirResources.SafeId(bundleId));
                json.WriteString("type", "collection");
                json.WriteString("timestamp", timestamp.ToString("yyyy-MM-ddTHH:mm:ss.fffK", System.Globalization.CultureInfo.InvariantCulture));
                json.WriteStartArray("entry");
                json.Flush();
            }
            _header = buffer.ToArray();
        }

        private byte[]? _header;

        private async Task AppendAsync(Resource resource, CancellationToken cancellationToken)
        {
            var sb = new StringBuilder(_first ? "" : ",");
            _first = false;
            sb.Append("{\"fullUrl\":");
            sb.Append(JsonSerializer.Serialize(_vaultPrefix + resource.TypeName + "/" + resource.Id));
            sb.Append(",\"resource\":");
            sb.Append(Json(resource));
            sb.Append('}');
            await WriteAsync(Encoding.UTF8.GetBytes(sb.ToString()), cancellationToken);
        }

        private async Task WriteAsync(byte[] bytes, CancellationToken cancellationToken)
        {
            if (_header is { } header)
            {
                _header = null;
                // The Bundle's opening (its fields and "entry":[), written before the first entry.
                await _output.WriteAsync(header, cancellationToken);
            }
            await _output.WriteAsync(bytes, cancellationToken);
        }

        public Task PatientAsync(string vaultId, IdentityTraits? identity, CancellationToken cancellationToken = default) =>
            AppendAsync(FhirResources.Patient(vaultId, identity), cancellationToken);

        public Task DocumentReferenceAsync(string vaultId, DocumentEntry document, FhirAttachment attachment, CancellationToken cancellationToken = default) =>
            AppendAsync(FhirResources.DocumentReference(vaultId, document, attachment), cancellationToken);

        public Task GrantConsentAsync(string vaultId, Grant grant, DateTimeOffset now, CancellationToken cancellationToken = default) =>
            AppendAsync(FhirResources.Grant(vaultId, grant, now), cancellationToken);

        public Task ReferentConsentAsync(string vaultId, Referent referent, DateTimeOffset now, CancellationToken cancellationToken = default) =>
            AppendAsync(FhirResources.Referent(vaultId, referent, now), cancellationToken);

        public Task RepresentationConsentAsync(string vaultId, LegalRepresentative representative, DateTimeOffset now, CancellationToken cancellationToken = default) =>
            AppendAsync(FhirResources.Representation(vaultId, representative, now), cancellationToken);

        public Task CarerConsentAsync(string vaultId, CarerDelegation delegation, DateTimeOffset now, CancellationToken cancellationToken = default) =>
            AppendAsync(FhirResources.Carer(vaultId, delegation, now), cancellationToken);

        public Task AuditEventAsync(string vaultId, FhirAuditEntry entry, CancellationToken cancellationToken = default) =>
            AppendAsync(FhirResources.AuditEvent(vaultId, entry), cancellationToken);

        public Task ProfileEntryAsync(string vaultId, ProfileEntry entry, CancellationToken cancellationToken = default) =>
            AppendAsync(FhirProfileResources.Resource(vaultId, entry), cancellationToken);

        public Task CompleteAsync(CancellationToken cancellationToken = default) => WriteAsync("]}"u8.ToArray(), cancellationToken);
    }
}

/// <summary>Registers the FHIR port.</summary>
public static class FhirAdapter
{
    public static IServiceCollection AddCoffreFhir(this IServiceCollection services) => services.AddSingleton<IFhirMapper, FhirMapper>();
}

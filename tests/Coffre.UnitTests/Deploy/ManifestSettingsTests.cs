using System.Collections;
using System.ComponentModel;
using System.Reflection;
using System.Text;
using Coffre.GraphQL;
using Coffre.Silo.Hosting;
using Coffre.Silo.Security;
using Orleans.Hosting.Kubernetes;
using Xunit;

namespace Coffre.UnitTests.Deploy;

/// <summary>
/// Checks deploy/Dockerfile and deploy/k8s/*.yaml against the application: every environment variable they set is a
/// configuration key Coffre reads, every secret/config-map key reference resolves, every Deployment has its probes.
/// </summary>
public sealed class ManifestSettingsTests
{
    private static readonly Lazy<DeployFiles> Files = new(DeployFiles.Load);

    [Fact]
    public void Every_environment_variable_set_is_a_key_the_application_reads()
    {
        var files = Files.Value;
        var readable = ConfigurationKeys.Read();
        var variables = files.EnvironmentVariables();

        // The scanner must find variables from each source, or the check below would pass on nothing.
        foreach (var source in Enum.GetValues<EnvSource>())
        {
            var found = variables.Any(v => v.Source == source);
            Assert.True(found, $"the scanner found no environment variable set through {source}");
        }

        var unknown = variables
            .Where(v => !readable.Accepts(v.Name))
            .Select(v => $"  {v.Name} ({v.Source}, {v.Where})")
            .ToList();
        Fail(unknown, "deploy files set environment variables the application does not read:\n" + string.Join("\n", unknown)
            + "\nKeys it reads:\n  " + string.Join("\n  ", readable.Describe()));
    }

    [Fact]
    public void Every_secret_and_config_map_reference_names_a_defined_key()
    {
        var files = Files.Value;
        var references = files.KeyReferences();
        Assert.True(references.Count > 0, "the scanner found no secretKeyRef, configMapKeyRef or envFrom reference");

        var errors = new List<string>();
        foreach (var reference in references)
        {
            if (files.FindData(reference.Kind, reference.Name) is not { } data)
            {
                errors.Add($"  {reference.Where}: {reference.Kind} '{reference.Name}' is not defined in deploy/k8s");
            }
            else if (reference.Key is { } key && !data.Keys.Contains(key, StringComparer.Ordinal))
            {
                errors.Add($"  {reference.Where}: key '{key}' is not defined in {reference.Kind} '{reference.Name}' ({data.Where}); it defines: {string.Join(", ", data.Keys)}");
            }
        }
        Fail(errors, "unresolved references:\n" + string.Join("\n", errors));
    }

    [Fact]
    public void Every_deployment_has_readiness_and_liveness_probes()
    {
        var deployments = Files.Value.Documents.Where(d => d.Kind == "Deployment").ToList();
        Assert.True(deployments.Count > 0, "no Deployment found in deploy/k8s");

        var errors = new List<string>();
        foreach (var deployment in deployments)
        {
            var containers = deployment.Root.Path("spec", "template", "spec", "containers") as YamlList;
            if (containers is null || containers.Items.Count == 0)
            {
                errors.Add($"  {deployment.Where}: Deployment '{deployment.Name}' has no containers");
                continue;
            }
            foreach (var container in containers.Items.OfType<YamlMap>())
            {
                var name = container.Scalar("name") ?? "?";
                foreach (var (probe, path) in new[] { ("readinessProbe", "/health/ready"), ("livenessProbe", "/health/live") })
                {
                    var actual = (container.Path(probe, "httpGet", "path") as YamlScalar)?.Value;
                    if (actual != path)
                    {
                        errors.Add($"  {deployment.Where}: Deployment '{deployment.Name}' container '{name}': {probe} httpGet path is {actual ?? "missing"}, expected {path}");
                    }
                }
            }
        }
        Fail(errors, "probes missing or wrong:\n" + string.Join("\n", errors));
    }

    [Fact]
    public void Silo_pod_labels_and_cluster_ids_agree()
    {
        var files = Files.Value;
        var defaults = new ClusterSettings();
        var errors = new List<string>();
        var identities = new List<(string Deployment, string ServiceId, string ClusterId)>();
        foreach (var deployment in files.Documents.Where(d => d.Kind == "Deployment"))
        {
            foreach (var container in (deployment.Root.Path("spec", "template", "spec", "containers") as YamlList)?.Items.OfType<YamlMap>() ?? [])
            {
                var values = files.EffectiveValues(container);
                var serviceId = values.GetValueOrDefault("Coffre__Cluster__ServiceId") ?? defaults.ServiceId;
                var clusterId = values.GetValueOrDefault("Coffre__Cluster__ClusterId") ?? defaults.ClusterId;
                var kubernetes = string.Equals(values.GetValueOrDefault("Coffre__Cluster__Kubernetes"), "true", StringComparison.OrdinalIgnoreCase);
                if (kubernetes)
                {
                    // Orleans Kubernetes hosting lets ORLEANS_SERVICE_ID / ORLEANS_CLUSTER_ID override the configured ids.
                    serviceId = values.GetValueOrDefault(KubernetesHostingOptions.ServiceIdEnvironmentVariable) ?? serviceId;
                    clusterId = values.GetValueOrDefault(KubernetesHostingOptions.ClusterIdEnvironmentVariable) ?? clusterId;
                    var labels = deployment.Root.Path("spec", "template", "metadata", "labels") as YamlMap;
                    foreach (var (label, expected) in new[] { (KubernetesHostingOptions.ServiceIdLabel, serviceId), (KubernetesHostingOptions.ClusterIdLabel, clusterId) })
                    {
                        var actual = labels?.Scalar(label);
                        if (actual != expected)
                        {
                            errors.Add($"  {deployment.Where}: Deployment '{deployment.Name}' pod label {label} is {actual ?? "missing"}, the silo's id is {expected}");
                        }
                    }
                }
                identities.Add((deployment.Name, serviceId, clusterId));
            }
        }
        if (identities.Select(i => (i.ServiceId, i.ClusterId)).Distinct().Count() > 1)
        {
            errors.Add("  silos and gateways disagree on the cluster: " + string.Join("; ", identities.Select(i => $"{i.Deployment} service {i.ServiceId} cluster {i.ClusterId}")));
        }
        Fail(errors, "cluster identity:\n" + string.Join("\n", errors));
    }

    private static void Fail(List<string> problems, string message)
    {
        if (problems.Count > 0)
        {
            Assert.Fail(message);
        }
    }
}

/// <summary>The configuration keys the application reads, as environment variable names (compared ignoring case).</summary>
internal sealed class ConfigurationKeys
{
    private readonly SortedSet<string> _exact = new(StringComparer.OrdinalIgnoreCase);
    private readonly SortedSet<string> _prefixes = new(StringComparer.OrdinalIgnoreCase);

    public static ConfigurationKeys Read()
    {
        var keys = new ConfigurationKeys();
        keys.AddOptions(typeof(CoffreOptions), Settings.EnvName(CoffreOptions.Section), 0);
        keys.AddOptions(typeof(AuthSettings), Settings.EnvName(AuthSettings.Section), 0);
        keys.AddOptions(typeof(GraphQLOptions), "Coffre__GraphQL", 0);
        keys.AddOptions(typeof(Coffre.GraphQL.GraphiQL.GraphiQLOptions), Settings.EnvName(Coffre.GraphQL.GraphiQL.GraphiQLOptions.Section), 0);
        keys.AddOptions(typeof(Coffre.Grains.Vaults.VaultOptions), Settings.EnvName(Coffre.Grains.Vaults.VaultOptions.Section), 0);
        keys.AddOptions(typeof(Coffre.Application.Outbox.OutboxDispatcherOptions), "Coffre__Outbox", 0);
        keys.AddOptions(typeof(Coffre.Application.Mail.EmailBatchOptions), Settings.EnvName(Coffre.Application.Mail.EmailBatchOptions.Section), 0);
        keys.AddOptions(typeof(Coffre.Grains.Rollout.ActivationOptions), Settings.EnvName(Coffre.Grains.Rollout.ActivationOptions.Section), 0);
        keys.AddOptions(typeof(Coffre.GraphQL.Activation.ActivationRateLimitOptions), "Coffre__Activation__RateLimits", 0);
        keys.AddOptions(typeof(Coffre.Adapters.Smtp.SmtpOptions), Settings.EnvName(Coffre.Adapters.Smtp.SmtpOptions.Section), 0);
        keys._prefixes.Add(Settings.EnvName(KeyMaterial.CodeKeysSection) + "__");
        keys._prefixes.Add(Settings.EnvName(KeyMaterial.DeliveryKeysSection) + "__");
        keys._exact.Add(Settings.EnvName(KeyMaterial.CurrentCodeKeySetting));
        keys._exact.Add(Settings.EnvName(KeyMaterial.CurrentDeliveryKeySetting));
        keys._exact.Add(Settings.EnvName(KeyMaterial.NirKeySetting));
        keys._exact.Add(Settings.EnvName(KeyMaterial.AuditHeadKeySetting));
        keys._exact.Add(Settings.EnvName(Settings.NotificationFolderKey));
        keys._exact.Add(Settings.EnvName(Settings.PostgresKey));
        keys._exact.Add(Settings.EnvName(Settings.BlobKey));
        keys._exact.Add("Urls");
        keys._prefixes.Add("Logging__");
        keys._prefixes.Add("DOTNET_");
        keys._prefixes.Add("ASPNETCORE_");
        // Read from the environment by Orleans Kubernetes hosting (Coffre__Cluster__Kubernetes=true).
        keys._exact.Add(KubernetesHostingOptions.PodNameEnvironmentVariable);
        keys._exact.Add(KubernetesHostingOptions.PodNamespaceEnvironmentVariable);
        keys._exact.Add(KubernetesHostingOptions.PodIPEnvironmentVariable);
        keys._exact.Add(KubernetesHostingOptions.ServiceIdEnvironmentVariable);
        keys._exact.Add(KubernetesHostingOptions.ClusterIdEnvironmentVariable);
        return keys;
    }

    public bool Accepts(string name) =>
        _exact.Contains(name) || _prefixes.Any(p => name.Length > p.Length && name.StartsWith(p, StringComparison.OrdinalIgnoreCase));

    public IEnumerable<string> Describe() => _exact.Concat(_prefixes.Select(p => p + "*"));

    /// <summary>Mirrors the configuration binder: a property whose type converts from a string is a key; a collection takes any
    /// key below it; another class is a nested section (settable, or get-only and bound in place).</summary>
    private void AddOptions(Type type, string prefix, int depth)
    {
        Assert.True(depth < 8, $"options nesting too deep at {prefix}");
        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (property.GetIndexParameters().Length > 0 || property.GetMethod is not { IsPublic: true })
            {
                continue;
            }
            var settable = property.SetMethod is { IsPublic: true };
            var key = prefix + "__" + property.Name;
            var propertyType = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
            if (propertyType == typeof(string) || TypeDescriptor.GetConverter(propertyType).CanConvertFrom(typeof(string)))
            {
                if (settable)
                {
                    _exact.Add(key);
                }
            }
            else if (typeof(IEnumerable).IsAssignableFrom(propertyType))
            {
                _prefixes.Add(key + "__");
            }
            else if (propertyType.IsClass)
            {
                AddOptions(propertyType, key, depth + 1);
            }
        }
    }
}

internal enum EnvSource
{
    /// <summary><c>- name: X</c> under a container's <c>env:</c>.</summary>
    Env,

    /// <summary>A key of a ConfigMap or Secret loaded whole through <c>envFrom:</c>.</summary>
    EnvFrom,

    /// <summary><c>ENV X=...</c> in deploy/Dockerfile.</summary>
    Dockerfile,
}

internal sealed record EnvVariable(string Name, EnvSource Source, string Where);

internal sealed record KeyReference(string Kind, string Name, string? Key, string Where);

internal sealed record DataKeys(IReadOnlyList<string> Keys, IReadOnlyDictionary<string, string> Values, string Where);

internal sealed record Document(string File, YamlMap Root)
{
    public string Kind => Root.Scalar("kind") ?? "";
    public string Name => (Root.Get("metadata") as YamlMap)?.Scalar("name") ?? "";
    public string Where => $"{File}:{Root.Line}";
}

/// <summary>deploy/Dockerfile and every deploy/k8s/*.yaml, read from the repository holding Cluster.sln.</summary>
internal sealed class DeployFiles
{
    private DeployFiles(IReadOnlyList<Document> documents, IReadOnlyList<EnvVariable> dockerfileEnv)
    {
        Documents = documents;
        DockerfileEnv = dockerfileEnv;
    }

    public IReadOnlyList<Document> Documents { get; }
    public IReadOnlyList<EnvVariable> DockerfileEnv { get; }

    public static DeployFiles Load()
    {
        var root = RepositoryFiles.Root;
        var k8s = Path.Combine(root, "deploy", "k8s");
        var yamlFiles = Directory.GetFiles(k8s, "*.yaml").Concat(Directory.GetFiles(k8s, "*.yml")).Order(StringComparer.Ordinal).ToList();
        Assert.True(yamlFiles.Count > 0, $"no manifests in {k8s}");
        var documents = new List<Document>();
        foreach (var file in yamlFiles)
        {
            var relative = Path.GetRelativePath(root, file).Replace('\\', '/');
            documents.AddRange(YamlScanner.Parse(File.ReadAllText(file), relative).Select(map => new Document(relative, map)));
        }
        var dockerfile = Path.Combine(root, "deploy", "Dockerfile");
        return new DeployFiles(documents, DockerfileScanner.EnvNames(File.ReadAllText(dockerfile), "deploy/Dockerfile"));
    }

    /// <summary>The keys under data/stringData (and binaryData) of the ConfigMap or Secret with this name.</summary>
    public DataKeys? FindData(string kind, string name)
    {
        var document = Documents.FirstOrDefault(d => d.Kind == kind && d.Name == name);
        if (document is null)
        {
            return null;
        }
        var keys = new List<string>();
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var section in new[] { "data", "stringData", "binaryData" })
        {
            if (document.Root.Get(section) is YamlMap data)
            {
                foreach (var (key, value) in data.Entries)
                {
                    keys.Add(key);
                    values[key] = (value as YamlScalar)?.Value ?? "";
                }
            }
        }
        return new DataKeys(keys, values, document.Where);
    }

    public IReadOnlyList<EnvVariable> EnvironmentVariables()
    {
        var variables = new List<EnvVariable>(DockerfileEnv);
        foreach (var document in Documents)
        {
            foreach (var map in YamlNode.Maps(document.Root))
            {
                foreach (var item in (map.Get("env") as YamlList)?.Items ?? [])
                {
                    var name = (item as YamlMap)?.Scalar("name") is { Length: > 0 } n
                        ? n
                        : throw new FormatException($"{document.File}:{item.Line}: env entry without a name");
                    variables.Add(new EnvVariable(name, EnvSource.Env, $"{document.File}:{item.Line}"));
                }
                foreach (var item in (map.Get("envFrom") as YamlList)?.Items.OfType<YamlMap>() ?? [])
                {
                    var (kind, name) = EnvFromSource(item);
                    var where = $"{document.File}:{item.Line}";
                    var data = FindData(kind, name)
                        ?? throw new FormatException($"{where}: envFrom {kind} '{name}' is not defined in deploy/k8s, so its keys cannot be checked");
                    var prefix = item.Scalar("prefix") ?? "";
                    variables.AddRange(data.Keys.Select(key => new EnvVariable(prefix + key, EnvSource.EnvFrom, $"{data.Where} via {where}")));
                }
            }
        }
        return variables;
    }

    public IReadOnlyList<KeyReference> KeyReferences()
    {
        var references = new List<KeyReference>();
        foreach (var document in Documents)
        {
            foreach (var map in YamlNode.Maps(document.Root))
            {
                foreach (var (field, kind) in new[] { ("secretKeyRef", "Secret"), ("configMapKeyRef", "ConfigMap") })
                {
                    if (map.Get(field) is YamlMap reference)
                    {
                        references.Add(new KeyReference(kind, reference.Scalar("name") ?? "", reference.Scalar("key") ?? "", $"{document.File}:{reference.Line}"));
                    }
                }
                foreach (var item in (map.Get("envFrom") as YamlList)?.Items.OfType<YamlMap>() ?? [])
                {
                    var (kind, name) = EnvFromSource(item);
                    references.Add(new KeyReference(kind, name, null, $"{document.File}:{item.Line}"));
                }
            }
        }
        return references;
    }

    /// <summary>A container's literal environment: envFrom ConfigMap/Secret values, then env values (valueFrom entries are left out).</summary>
    public Dictionary<string, string> EffectiveValues(YamlMap container)
    {
        var values = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var item in (container.Get("envFrom") as YamlList)?.Items.OfType<YamlMap>() ?? [])
        {
            var (kind, name) = EnvFromSource(item);
            foreach (var (key, value) in FindData(kind, name)?.Values ?? new Dictionary<string, string>())
            {
                values[(item.Scalar("prefix") ?? "") + key] = value;
            }
        }
        foreach (var item in (container.Get("env") as YamlList)?.Items.OfType<YamlMap>() ?? [])
        {
            if (item.Scalar("name") is { } name && item.Scalar("value") is { } value)
            {
                values[name] = value;
            }
        }
        return values;
    }

    private static (string Kind, string Name) EnvFromSource(YamlMap item) =>
        item.Get("configMapRef") is YamlMap configMap ? ("ConfigMap", configMap.Scalar("name") ?? "")
        : item.Get("secretRef") is YamlMap secret ? ("Secret", secret.Scalar("name") ?? "")
        : throw new FormatException($"line {item.Line}: envFrom entry without configMapRef or secretRef");
}

/// <summary>ENV instructions of a Dockerfile: <c>ENV A=1 B=2</c> (continuation lines joined) and the legacy <c>ENV A 1</c>.</summary>
internal static class DockerfileScanner
{
    public static IReadOnlyList<EnvVariable> EnvNames(string text, string file)
    {
        var lines = text.Split('\n').Select(l => l.TrimEnd('\r')).ToArray();
        var names = new List<EnvVariable>();
        for (var i = 0; i < lines.Length; i++)
        {
            var start = i + 1;
            var instruction = new StringBuilder(lines[i]);
            while (instruction.ToString().TrimEnd().EndsWith('\\') && i + 1 < lines.Length)
            {
                var joined = instruction.ToString().TrimEnd();
                instruction.Clear().Append(joined, 0, joined.Length - 1).Append(' ');
                var next = lines[++i];
                if (!next.TrimStart().StartsWith('#'))
                {
                    instruction.Append(next);
                }
            }
            var words = Tokens(instruction.ToString().Trim());
            if (words.Count == 0 || !words[0].Equals("ENV", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }
            Assert.True(words.Count > 1, $"{file}:{start}: ENV without a variable");
            if (words[1].Contains('='))
            {
                foreach (var pair in words.Skip(1))
                {
                    Assert.True(pair.IndexOf('=') > 0, $"{file}:{start}: ENV word '{pair}' is not NAME=value");
                    names.Add(new EnvVariable(pair[..pair.IndexOf('=')], EnvSource.Dockerfile, $"{file}:{start}"));
                }
            }
            else
            {
                names.Add(new EnvVariable(words[1], EnvSource.Dockerfile, $"{file}:{start}"));
            }
        }
        return names;
    }

    /// <summary>Splits on blanks outside quotes; quotes are removed, a backslash keeps the next character.</summary>
    private static List<string> Tokens(string line)
    {
        var tokens = new List<string>();
        var current = new StringBuilder();
        var inToken = false;
        char quote = '\0';
        for (var i = 0; i < line.Length; i++)
        {
            var c = line[i];
            if (quote != '\0')
            {
                if (c == quote)
                {
                    quote = '\0';
                }
                else if (c == '\\' && quote == '"' && i + 1 < line.Length)
                {
                    current.Append(line[++i]);
                }
                else
                {
                    current.Append(c);
                }
            }
            else if (char.IsWhiteSpace(c))
            {
                if (inToken)
                {
                    tokens.Add(current.ToString());
                    current.Clear();
                    inToken = false;
                }
            }
            else
            {
                inToken = true;
                if (c is '"' or '\'')
                {
                    quote = c;
                }
                else if (c == '\\' && i + 1 < line.Length)
                {
                    current.Append(line[++i]);
                }
                else
                {
                    current.Append(c);
                }
            }
        }
        if (inToken)
        {
            tokens.Add(current.ToString());
        }
        return tokens;
    }
}

internal abstract class YamlNode(int line)
{
    public int Line { get; } = line;

    /// <summary>This node and every map below it.</summary>
    public static IEnumerable<YamlMap> Maps(YamlNode node)
    {
        if (node is YamlMap map)
        {
            yield return map;
            foreach (var (_, value) in map.Entries)
            {
                foreach (var inner in Maps(value))
                {
                    yield return inner;
                }
            }
        }
        else if (node is YamlList list)
        {
            foreach (var item in list.Items)
            {
                foreach (var inner in Maps(item))
                {
                    yield return inner;
                }
            }
        }
    }
}

internal sealed class YamlScalar(string value, int line) : YamlNode(line)
{
    public string Value { get; } = value;
}

internal sealed class YamlList(int line) : YamlNode(line)
{
    public List<YamlNode> Items { get; } = [];
}

internal sealed class YamlMap(int line) : YamlNode(line)
{
    public List<KeyValuePair<string, YamlNode>> Entries { get; } = [];

    public YamlNode? Get(string key) => Entries.FirstOrDefault(e => e.Key == key).Value;

    public string? Scalar(string key) => (Get(key) as YamlScalar)?.Value;

    public YamlNode? Path(params string[] keys)
    {
        YamlNode? node = this;
        foreach (var key in keys)
        {
            node = (node as YamlMap)?.Get(key);
        }
        return node;
    }
}

/// <summary>
/// A small reader for the block YAML the manifests use: documents split by <c>---</c>, maps (<c>key: value</c>), lists
/// (<c>- item</c>, <c>- key: value</c>), comments, plain and quoted scalars. Flow collections (<c>["a", "b"]</c>, <c>{}</c>)
/// must fit on one line and stay raw text. Block scalars, anchors, aliases, tags and tab indentation are refused.
/// </summary>
internal static class YamlScanner
{
    private sealed record Line(int Number, int Indent, string Text);

    public static IReadOnlyList<YamlMap> Parse(string text, string file)
    {
        var documents = new List<List<Line>> { new() };
        var number = 0;
        foreach (var raw in text.Split('\n'))
        {
            number++;
            var line = raw.TrimEnd('\r');
            if (line == "---" || line.StartsWith("--- ", StringComparison.Ordinal))
            {
                documents.Add([]);
                continue;
            }
            var content = StripComment(line).TrimEnd();
            if (content.Length == 0)
            {
                continue;
            }
            var body = content.TrimStart(' ');
            if (body.StartsWith('\t'))
            {
                throw new FormatException($"{file}:{number}: tab in indentation");
            }
            documents[^1].Add(new Line(number, content.Length - body.Length, body));
        }

        var result = new List<YamlMap>();
        foreach (var lines in documents.Where(d => d.Count > 0))
        {
            var parser = new Parser(lines, file);
            var root = parser.Block(lines[0].Indent);
            parser.ExpectEnd();
            result.Add(root as YamlMap ?? throw new FormatException($"{file}:{lines[0].Number}: a document must be a map"));
        }
        return result;
    }

    private static string StripComment(string line)
    {
        var quote = '\0';
        for (var i = 0; i < line.Length; i++)
        {
            var c = line[i];
            if (quote != '\0')
            {
                if (c == '\\' && quote == '"')
                {
                    i++;
                }
                else if (c == quote)
                {
                    quote = '\0';
                }
            }
            else if (c is '"' or '\'' && (i == 0 || line[i - 1] is ' ' or '[' or '{' or ','))
            {
                quote = c;
            }
            else if (c == '#' && (i == 0 || line[i - 1] == ' '))
            {
                return line[..i];
            }
        }
        return line;
    }

    private sealed class Parser(List<Line> lines, string file)
    {
        private int _next;

        private bool AtEnd => _next >= lines.Count;

        public void ExpectEnd()
        {
            if (!AtEnd)
            {
                throw Error(lines[_next], "unexpected indentation");
            }
        }

        public YamlNode Block(int indent) => IsListItem(lines[_next].Text) ? List(indent) : Map(indent);

        private static bool IsListItem(string text) => text == "-" || text.StartsWith("- ", StringComparison.Ordinal);

        private YamlList List(int indent)
        {
            var list = new YamlList(lines[_next].Number);
            while (!AtEnd && lines[_next].Indent == indent && IsListItem(lines[_next].Text))
            {
                var line = lines[_next];
                var rest = line.Text.Length == 1 ? "" : line.Text[2..].TrimStart(' ');
                if (rest.Length == 0)
                {
                    _next++;
                    list.Items.Add(!AtEnd && lines[_next].Indent > indent ? Block(lines[_next].Indent) : new YamlScalar("", line.Number));
                }
                else if (IsListItem(rest))
                {
                    throw Error(line, "nested '- -' lists are not supported");
                }
                else if (SplitKey(rest, line) is not null)
                {
                    // "- key: value" opens a map whose keys line up with "key".
                    var column = indent + line.Text.Length - rest.Length;
                    lines[_next] = line with { Indent = column, Text = rest };
                    list.Items.Add(Map(column));
                }
                else
                {
                    _next++;
                    list.Items.Add(Scalar(rest, line));
                }
            }
            if (!AtEnd && lines[_next].Indent > indent)
            {
                throw Error(lines[_next], "unexpected indentation");
            }
            return list;
        }

        private YamlMap Map(int indent)
        {
            var map = new YamlMap(lines[_next].Number);
            while (!AtEnd && lines[_next].Indent == indent && !IsListItem(lines[_next].Text))
            {
                var line = lines[_next];
                var (key, value) = SplitKey(line.Text, line) ?? throw Error(line, "expected 'key: value'");
                if (map.Get(key) is not null)
                {
                    throw Error(line, $"duplicate key '{key}'");
                }
                _next++;
                YamlNode node;
                if (value.Length > 0)
                {
                    node = Scalar(value, line);
                }
                else if (!AtEnd && (lines[_next].Indent > indent || (lines[_next].Indent == indent && IsListItem(lines[_next].Text))))
                {
                    node = Block(lines[_next].Indent);
                }
                else
                {
                    node = new YamlScalar("", line.Number);
                }
                map.Entries.Add(new(key, node));
            }
            if (!AtEnd && lines[_next].Indent > indent)
            {
                throw Error(lines[_next], "unexpected indentation");
            }
            return map;
        }

        /// <summary>"key: value" or "key:" (key plain or quoted); null when the text is a plain scalar.</summary>
        private (string Key, string Value)? SplitKey(string text, Line line)
        {
            int colon;
            string key;
            if (text[0] is '"' or '\'')
            {
                var close = text.IndexOf(text[0], 1);
                if (close < 0)
                {
                    throw Error(line, "unterminated quote");
                }
                colon = close + 1;
                if (colon >= text.Length || text[colon] != ':')
                {
                    return null;
                }
                key = text[1..close];
            }
            else
            {
                if (text[0] is '[' or '{')
                {
                    return null;
                }
                colon = text.IndexOf(": ", StringComparison.Ordinal);
                if (colon < 0)
                {
                    if (!text.EndsWith(':'))
                    {
                        return null;
                    }
                    colon = text.Length - 1;
                }
                key = text[..colon];
            }
            if (colon + 1 < text.Length && text[colon + 1] != ' ')
            {
                return null;
            }
            return (key, text[(colon + 1)..].Trim());
        }

        private YamlScalar Scalar(string text, Line line)
        {
            switch (text[0])
            {
                case '"':
                    if (text.Length < 2 || !text.EndsWith('"'))
                    {
                        throw Error(line, "unterminated double-quoted scalar");
                    }
                    return new YamlScalar(text[1..^1].Replace("\\\"", "\"", StringComparison.Ordinal).Replace("\\\\", "\\", StringComparison.Ordinal), line.Number);
                case '\'':
                    if (text.Length < 2 || !text.EndsWith('\''))
                    {
                        throw Error(line, "unterminated single-quoted scalar");
                    }
                    return new YamlScalar(text[1..^1].Replace("''", "'", StringComparison.Ordinal), line.Number);
                case '[' when !text.EndsWith(']'):
                case '{' when !text.EndsWith('}'):
                    throw Error(line, "flow collections must fit on one line");
                case '|' or '>':
                    throw Error(line, "block scalars are not supported; keep values on one line");
                case '&' or '*' or '!':
                    throw Error(line, "anchors, aliases and tags are not supported");
                default:
                    return new YamlScalar(text, line.Number);
            }
        }

        private FormatException Error(Line line, string message) => new($"{file}:{line.Number}: {message}");
    }
}

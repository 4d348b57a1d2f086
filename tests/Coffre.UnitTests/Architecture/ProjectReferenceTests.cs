using System.Xml.Linq;
using Xunit;

namespace Coffre.UnitTests.Architecture;

/// <summary>
/// The rooms' project references are the README's picture: dependencies point inward (domain ← contracts ← grains,
/// domain ← application ← adapters; the API references contracts and domain only; only the executable sees adapters).
/// </summary>
public sealed class ProjectReferenceTests
{
    /// <summary>Every project under src/ and exactly the projects it may reference.</summary>
    private static readonly Dictionary<string, string[]> Allowed = new()
    {
        ["Coffre.Domain"] = [],
        ["Coffre.Grains.Abstractions"] = ["Coffre.Domain"],
        ["Coffre.Application"] = ["Coffre.Domain"],
        ["Coffre.Grains"] = ["Coffre.Grains.Abstractions", "Coffre.Application", "Coffre.Domain"],
        ["Coffre.GraphQL"] = ["Coffre.Grains.Abstractions", "Coffre.Domain"],
        ["Coffre.Adapters.Postgres"] = ["Coffre.Application"],
        ["Coffre.Adapters.Local"] = ["Coffre.Application"],
        ["Coffre.Adapters.Blob"] = ["Coffre.Domain"],
        ["Coffre.Adapters.Smtp"] = ["Coffre.Application"],
        ["Coffre.Adapters.Sms"] = ["Coffre.Application"],
        ["Coffre.Adapters.Fhir"] = ["Coffre.Application"],
        ["Coffre.Silo"] = ["Coffre.Grains", "Coffre.GraphQL", "Coffre.Adapters.Postgres", "Coffre.Adapters.Blob", "Coffre.Adapters.Local", "Coffre.Adapters.Smtp", "Coffre.Adapters.Sms", "Coffre.Adapters.Fhir", "Coffre.Domain"],
    };

    private static Dictionary<string, string[]> Actual() =>
        Directory.EnumerateFiles(RepositoryFiles.PathOf("src"), "*.csproj", SearchOption.AllDirectories)
            .Where(p => !p.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .ToDictionary(
                p => Path.GetFileNameWithoutExtension(p),
                p => XDocument.Load(p).Descendants("ProjectReference")
                    .Select(r => Path.GetFileNameWithoutExtension(r.Attribute("Include")!.Value.Replace('\\', '/')))
                    .Order(StringComparer.Ordinal).ToArray());

    [Fact]
    public void Every_project_is_in_the_picture_with_exactly_its_references()
    {
        var actual = Actual();
        Assert.Equal(Allowed.Keys.Order(StringComparer.Ordinal), actual.Keys.Order(StringComparer.Ordinal));
        foreach (var (project, references) in actual)
        {
            Assert.True(Allowed[project].Order(StringComparer.Ordinal).SequenceEqual(references),
                $"{project} references [{string.Join(", ", references)}]; the picture allows [{string.Join(", ", Allowed[project])}]");
        }
    }

    [Fact]
    public void No_grain_or_API_project_reaches_an_adapter_even_through_another_project()
    {
        foreach (var project in new[] { "Coffre.Grains", "Coffre.Grains.Abstractions", "Coffre.GraphQL", "Coffre.Application", "Coffre.Domain" })
        {
            var reached = Reachable(project);
            Assert.DoesNotContain(reached, r => r.StartsWith("Coffre.Adapters.", StringComparison.Ordinal));
            Assert.DoesNotContain("Coffre.Silo", reached);
        }
    }

    [Fact]
    public void Only_adapters_and_the_executable_take_a_storage_technology()
    {
        string[] technologies = ["Npgsql", "Azure.Storage.Blobs", "Microsoft.EntityFrameworkCore", "MailKit", "MimeKit", "Hl7.Fhir"];
        foreach (var path in Directory.EnumerateFiles(RepositoryFiles.PathOf("src"), "*.csproj", SearchOption.AllDirectories))
        {
            var project = Path.GetFileNameWithoutExtension(path);
            if (project.StartsWith("Coffre.Adapters.", StringComparison.Ordinal) || project == "Coffre.Silo")
            {
                continue;
            }
            var packages = XDocument.Load(path).Descendants("PackageReference").Select(r => r.Attribute("Include")!.Value).ToList();
            Assert.DoesNotContain(packages, p => technologies.Any(t => p.StartsWith(t, StringComparison.Ordinal)));
        }
    }

    private static HashSet<string> Reachable(string project)
    {
        var actual = Actual();
        var seen = new HashSet<string>();
        var stack = new Stack<string>(actual[project]);
        while (stack.TryPop(out var next))
        {
            if (seen.Add(next))
            {
                foreach (var r in actual[next])
                {
                    stack.Push(r);
                }
            }
        }
        return seen;
    }
}

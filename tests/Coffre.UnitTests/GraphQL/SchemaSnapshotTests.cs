using Coffre.GraphQL.Schema;
using Xunit;

namespace Coffre.UnitTests.GraphQL;

/// <summary>The running schema must equal the committed schema.graphql, so every API change is deliberate and reviewed.</summary>
public sealed class SchemaSnapshotTests
{
    [Fact]
    public void Running_schema_equals_the_committed_schema_graphql()
    {
        var root = RepositoryFiles.Root;
        var committed = File.ReadAllText(Path.Combine(root, "schema.graphql")).Replace("\r\n", "\n", StringComparison.Ordinal);
        var running = CoffreSchemaPrinter.Print();
        if (committed != running)
        {
            var committedLines = committed.Split('\n');
            var runningLines = running.Split('\n');
            var first = Enumerable.Range(0, Math.Min(committedLines.Length, runningLines.Length)).FirstOrDefault(i => committedLines[i] != runningLines[i]);
            Assert.Fail($"schema.graphql differs from the running schema at line {first + 1}:\n  committed: {committedLines.ElementAtOrDefault(first)}\n  running:   {runningLines.ElementAtOrDefault(first)}\n" +
                        "If the change is deliberate: dotnet run --project src/Silo -- schema > schema.graphql");
        }
    }
}

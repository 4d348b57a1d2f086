using System.Text.Json;
using System.Text.Json.Serialization;
using System.Xml;

namespace Coffre.Silo.Commands;

/// <summary>
/// The one JSON shape of every result a verb prints on stdout: camelCase names, statuses as the words of the
/// GraphQL schema's enums (<c>ISSUED</c>, <c>IN_PROGRESS</c>), durations in ISO 8601 (<c>PT1M30S</c>, <c>P42D</c>),
/// instants in ISO 8601 with their offset.
/// </summary>
public static class CommandOutput
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseUpper), new Iso8601DurationConverter() },
    };

    public static string Serialize<T>(T value) => JsonSerializer.Serialize(value, Json);

    /// <summary>Writes <paramref name="value"/> as the command's JSON result.</summary>
    public static void Print<T>(T value) => Console.Out.WriteLine(Serialize(value));
}

/// <summary>A <see cref="TimeSpan"/> as an ISO 8601 duration (<c>PT1M30S</c>; <see cref="XmlConvert"/>'s xs:duration).</summary>
public sealed class Iso8601DurationConverter : JsonConverter<TimeSpan>
{
    public override TimeSpan Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        var text = reader.GetString() ?? throw new JsonException("an ISO 8601 duration is expected");
        try
        {
            return XmlConvert.ToTimeSpan(text);
        }
        catch (FormatException e)
        {
            throw new JsonException($"'{text}' is not an ISO 8601 duration", e);
        }
    }

    public override void Write(Utf8JsonWriter writer, TimeSpan value, JsonSerializerOptions options) =>
        writer.WriteStringValue(XmlConvert.ToString(value));
}

namespace Coffre.Grains.Messaging;

/// <summary>The write of one entry into a bounded page (a conversation's messages, a party's conversation list).</summary>
internal static class PageEntries
{
    /// <summary>Replaces the entry at the same position (a retried write) or appends it.</summary>
    public static void Put<T>(List<T> entries, T entry, Func<T, long> position)
    {
        var at = entries.FindIndex(e => position(e) == position(entry));
        if (at >= 0)
        {
            entries[at] = entry;
        }
        else
        {
            entries.Add(entry);
        }
    }
}

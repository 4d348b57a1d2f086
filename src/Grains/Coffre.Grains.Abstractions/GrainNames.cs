namespace Coffre.Grains;

/// <summary>Names shared by silos and clients: storage providers and per-grain-type state names.</summary>
public static class GrainNames
{
    /// <summary>The one grain-state storage provider (ADO.NET on PostgreSQL in a cluster, memory when embedded).</summary>
    public const string Storage = "coffre";

    /// <summary>
    /// State names are distinct per grain type: the ADO.NET provider's row identity ignores the grain type,
    /// so two grain types sharing a key and a state name would share a row.
    /// </summary>
    public static class States
    {
        public const string Professional = "professional-v1";
        public const string Vault = "vault-v1";
        public const string VaultDocuments = "vault-documents-v1";
        public const string Establishment = "establishment-v1";
        public const string NirIndex = "nir-index-v1";
        public const string FeedStatistics = "feed-statistics-v1";
        public const string DirectoryBulkRequest = "directory-bulk-v1";
        public const string Accompaniment = "accompaniment-v1";
        public const string Conversation = "conversation-v1";
        public const string ConversationPage = "conversation-page-v1";
        public const string ConversationIndex = "conversation-index-v2";
        public const string ConversationIndexPage = "conversation-index-page-v1";
        public const string Agenda = "agenda-v1";
        public const string ShareLink = "share-link-v1";
        public const string CarerInvitation = "carer-invitation-v1";
        public const string CarerIndex = "carer-index-v1";
        public const string BreakGlassReviewQueue = "breakglass-review-queue-v1";
        public const string BreakGlassLog = "breakglass-log-v1";
        public const string Export = "export-v1";
        public const string Profile = "profile-v1";
        public const string AppCatalogue = "app-catalogue-v1";
    }

    /// <summary>Grain keys are prefixed so that no key looks hexadecimal to the ADO.NET key splitter.</summary>
    public static class Keys
    {
        public static string Professional(string rpps) => "rpps-" + rpps;

        public static string Establishment(string finess) => "finess-" + finess;

        /// <summary>An establishment's accompaniment index: the establishment's key (its own state name keeps the rows apart).</summary>
        public static string Accompaniment(string finess) => "finess-" + finess;

        /// <summary>Vault ids are already prefixed ("v-…").</summary>
        public static string Vault(string vaultId) => vaultId;

        /// <summary>A person's agenda: the vault id behind its own prefix (its own state name keeps the rows apart too).</summary>
        public static string Agenda(string vaultId) => "agenda-" + vaultId;

        /// <summary>The NIR never appears in a key: its keyed hash does.</summary>
        public static string NirIndex(string nirKeyedHashHex) => "nir-" + nirKeyedHashHex;

        /// <summary>One establishment's feed counters.</summary>
        public static string FeedStatistics(string finess) => "feedstats-" + finess;
        /// <summary>A bulk directory request: the operator's subject and their idempotency key.</summary>
        public static string DirectoryBulkRequest(string operatorSubject, string idempotencyKey) => $"dirbulk-{operatorSubject}/{idempotencyKey}";

        /// <summary>A conversation: its opaque id is already prefixed ("conv-…").</summary>
        public static string Conversation(string conversationId) => conversationId;

        /// <summary>One page (of bounded size) of a conversation's messages.</summary>
        public static string ConversationPage(string conversationId, long page) => $"{conversationId}/p{page}";

        /// <summary>A party's conversation list: <c>convidx-vault:v-…</c>, <c>convidx-rpps:…</c>, <c>convidx-finess:…</c>.</summary>
        public static string ConversationIndex(string party) => "convidx-" + party;

        public static string ConversationIndexPage(string party, long page) => $"convidx-{party}/p{page}";

        /// <summary>A share link: its random id (128 bits) behind its own prefix.</summary>
        public static string ShareLink(string linkId) => "share-" + linkId;
        /// <summary>A carer invitation's reference (the first part of its code): which vault it belongs to.</summary>
        public static string CarerInvitation(string reference) => "cinv-" + reference;

        /// <summary>The delegations naming a person (their vault id) as carer.</summary>
        public static string CarerIndex(string carerVaultId) => "carers-" + carerVaultId;

        /// <summary>An establishment's break-glass sessions: the establishment's key (its own state name keeps the rows apart).</summary>
        public static string BreakGlassLog(string finess) => "finess-" + finess;

        /// <summary>A person's medical profile: the vault id behind its own prefix.</summary>
        public static string Profile(string vaultId) => "profile-" + vaultId;

        /// <summary>The catalogue of connected apps (one grain): its entries, their status, their OAuth client ids.</summary>
        public const string AppCatalogue = "apps-catalogue";
    }
}

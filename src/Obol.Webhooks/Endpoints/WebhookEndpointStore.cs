using Obol.Core.Http;
using Obol.Core.Storage;

namespace Obol.Webhooks.Endpoints;

/// <summary>The webhook_endpoints table. Every write happens inside the caller's unit of work.</summary>
internal sealed class WebhookEndpointStore
{
    private const string Columns = """
        id AS Id, merchant_id AS MerchantId, url AS Url, description AS Description, enabled_events AS EnabledEvents, disabled AS Disabled,
        disabled_reason AS DisabledReason, secret AS Secret, previous_secret AS PreviousSecret, previous_secret_expires_at AS PreviousSecretExpiresAt,
        failing_since AS FailingSince, created_at AS CreatedAt, updated_at AS UpdatedAt
        """;

    public Task InsertAsync(DbSession session, WebhookEndpoint endpoint) =>
        session.ExecuteAsync(
            """
            INSERT INTO webhook_endpoints (id, merchant_id, url, description, enabled_events, disabled, disabled_reason, secret, previous_secret,
                previous_secret_expires_at, failing_since, created_at, updated_at)
            VALUES (@Id, @MerchantId, @Url, @Description, @EnabledEvents, @Disabled, @DisabledReason, @Secret, @PreviousSecret,
                @PreviousSecretExpiresAt, @FailingSince, @CreatedAt, @UpdatedAt)
            """,
            Row.From(endpoint));

    public Task UpdateAsync(DbSession session, WebhookEndpoint endpoint) =>
        session.ExecuteAsync(
            """
            UPDATE webhook_endpoints SET url = @Url, description = @Description, enabled_events = @EnabledEvents, disabled = @Disabled,
                disabled_reason = @DisabledReason, secret = @Secret, previous_secret = @PreviousSecret,
                previous_secret_expires_at = @PreviousSecretExpiresAt, failing_since = @FailingSince, updated_at = @UpdatedAt
            WHERE id = @Id
            """,
            Row.From(endpoint));

    public Task DeleteAsync(DbSession session, string id, DateTimeOffset now) =>
        session.ExecuteAsync("UPDATE webhook_endpoints SET deleted_at = @now, updated_at = @now WHERE id = @id", new { id, now });

    public async Task<WebhookEndpoint?> GetAsync(DbSession session, string merchantId, string id, bool forUpdate = false)
    {
        var sql = $"SELECT {Columns} FROM webhook_endpoints WHERE id = @id AND merchant_id = @merchantId AND deleted_at IS NULL";
        return (await session.QuerySingleOrDefaultAsync<Row>(forUpdate && session.IsPostgres ? sql + " FOR UPDATE" : sql, new { id, merchantId }))?.ToDomain();
    }

    public async Task<Page<WebhookEndpoint>> ListAsync(DbSession session, string merchantId, PageRequest page)
    {
        var rows = await session.QueryAsync<Row>(
            $"""
            SELECT {Columns} FROM webhook_endpoints
            WHERE merchant_id = @merchantId AND deleted_at IS NULL AND (@startingAfter IS NULL OR id < @startingAfter)
            ORDER BY id DESC LIMIT @take
            """,
            new { merchantId, startingAfter = page.StartingAfter, take = page.Limit + 1 });
        return page.ToPage(rows.Select(r => r.ToDomain()).ToList());
    }

    public async Task<EndpointBacklog> BacklogAsync(DbSession session, string endpointId)
    {
        var row = await session.QuerySingleAsync<BacklogRow>(
            "SELECT count(*) AS Pending, min(created_at) AS OldestPendingSince FROM webhook_deliveries WHERE endpoint_id = @endpointId AND status = 'pending'",
            new { endpointId });
        return new EndpointBacklog(row.Pending, row.OldestPendingSince);
    }

    private sealed class BacklogRow
    {
        public long Pending { get; init; }
        public DateTimeOffset? OldestPendingSince { get; init; }
    }

    private sealed class Row
    {
        public string Id { get; init; } = "";
        public string MerchantId { get; init; } = "";
        public string Url { get; init; } = "";
        public string? Description { get; init; }
        public string EnabledEvents { get; init; } = "";
        public bool Disabled { get; init; }
        public string? DisabledReason { get; init; }
        public string Secret { get; init; } = "";
        public string? PreviousSecret { get; init; }
        public DateTimeOffset? PreviousSecretExpiresAt { get; init; }
        public DateTimeOffset? FailingSince { get; init; }
        public DateTimeOffset CreatedAt { get; init; }
        public DateTimeOffset UpdatedAt { get; init; }

        public static Row From(WebhookEndpoint e) => new()
        {
            Id = e.Id, MerchantId = e.MerchantId, Url = e.Url, Description = e.Description,
            EnabledEvents = WebhookEndpoint.StoredEnabledEvents(e.EnabledEvents), Disabled = e.Disabled, DisabledReason = e.DisabledReason,
            Secret = e.Secret, PreviousSecret = e.PreviousSecret, PreviousSecretExpiresAt = e.PreviousSecretExpiresAt, FailingSince = e.FailingSince,
            CreatedAt = e.CreatedAt, UpdatedAt = e.UpdatedAt,
        };

        public WebhookEndpoint ToDomain() => new()
        {
            Id = Id, MerchantId = MerchantId, Url = Url, Description = Description, EnabledEvents = WebhookEndpoint.ReadEnabledEvents(EnabledEvents),
            Disabled = Disabled, DisabledReason = DisabledReason, Secret = Secret, PreviousSecret = PreviousSecret,
            PreviousSecretExpiresAt = PreviousSecretExpiresAt, FailingSince = FailingSince, CreatedAt = CreatedAt, UpdatedAt = UpdatedAt,
        };
    }
}

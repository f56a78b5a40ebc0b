using System.Security.Cryptography;
using System.Text;
using Obol.Core.Errors;
using Obol.Core.Identity;
using Obol.Core.Storage;

namespace Obol.Core.Merchants;

// Property records (not positional) so that Dapper can read them on both providers through the instant handler.
public sealed record Merchant
{
    public required string Id { get; init; }
    public required string Name { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
}

public sealed record ApiKey
{
    public required string Id { get; init; }
    public required string MerchantId { get; init; }
    public required string Mode { get; init; }
    public required string Last4 { get; init; }
    public string? Label { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset? RevokedAt { get; init; }
}

/// <summary>A key as issued: the secret is shown to its owner this once and stored only as a hash.</summary>
public sealed record IssuedApiKey(ApiKey Key, string Secret);

public sealed record AuthenticatedKey(string KeyId, string MerchantId, string Mode);

/// <summary>
/// Merchants and their secret keys (<c>sk_test_…</c>, <c>sk_live_…</c>): 32 base62 characters (≈190 bits) of
/// randomness, stored as SHA-256. A fast hash is enough for secrets of that entropy (no dictionary to guess from),
/// and it lets a key be found by an indexed look-up of its hash.
/// </summary>
public sealed class ApiKeys(Database database, IdGenerator ids, TimeProvider clock, InstallationMode installation)
{
    public const string DefaultMerchantId = "mer_default";
    public const int MaxLabelLength = 200;
    private const string SecretAlphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

    public Task<Merchant> CreateMerchantAsync(string name, CancellationToken cancellationToken) =>
        database.WriteAsync(session => CreateMerchantAsync(session, ids.New("mer"), name), cancellationToken);

    /// <summary>Creates the default merchant unless it exists; safe when several nodes start at once.</summary>
    public Task<Merchant> EnsureDefaultMerchantAsync(CancellationToken cancellationToken) =>
        database.WriteAsync(async session =>
        {
            await session.ExecuteAsync(
                "INSERT INTO merchants (id, name, created_at) VALUES (@id, 'Default merchant', @now) ON CONFLICT (id) DO NOTHING",
                new { id = DefaultMerchantId, now = clock.GetUtcNow() });
            return (await FindMerchantAsync(session, DefaultMerchantId))!;
        }, cancellationToken);

    public Task<IssuedApiKey> IssueAsync(string merchantId, string mode, string? label, CancellationToken cancellationToken) =>
        database.WriteAsync(session => IssueAsync(session, merchantId, mode, label), cancellationToken);

    public async Task<IssuedApiKey> IssueAsync(DbSession session, string merchantId, string mode, string? label)
    {
        if (mode is not ("test" or "live"))
        {
            throw Problems.Validation("mode", "Must be 'test' or 'live'.");
        }

        if (mode != installation.Mode)
        {
            throw Problems.Validation("mode", $"This installation is in {installation.Mode} mode (Obol:Mode) and issues {installation.Mode} keys only.");
        }

        if (label is { Length: > MaxLabelLength })
        {
            throw Problems.Validation("label", $"At most {MaxLabelLength} characters.");
        }

        var secret = $"sk_{mode}_{RandomNumberGenerator.GetString(SecretAlphabet, 32)}";
        return new IssuedApiKey(await InsertAsync(session, merchantId, secret, label), secret);
    }

    /// <summary>Makes a given secret valid for a merchant (the configured bootstrap key); a no-op if it already is.</summary>
    public Task RegisterAsync(string merchantId, string secret, string label, CancellationToken cancellationToken)
    {
        if (!TryParseMode(secret, out var mode))
        {
            throw new ArgumentException("A bootstrap key must look like sk_test_… or sk_live_… with at least 24 characters after the prefix.", nameof(secret));
        }

        if (mode != installation.Mode)
        {
            throw new ArgumentException($"The bootstrap key is a {mode} key, and this installation is in {installation.Mode} mode (Obol:Mode).", nameof(secret));
        }

        return database.WriteAsync(session => InsertAsync(session, merchantId, secret, label, ifAbsent: true), cancellationToken);
    }

    public async Task<AuthenticatedKey?> AuthenticateAsync(string secret, CancellationToken cancellationToken)
    {
        if (!TryParseMode(secret, out _))
        {
            return null;
        }

        var hash = Hash(secret);
        var row = await database.ReadAsync(session => session.QuerySingleOrDefaultAsync<KeyRow>(
            "SELECT id AS Id, merchant_id AS MerchantId, mode AS Mode, key_hash AS KeyHash FROM api_keys WHERE key_hash = @hash AND revoked_at IS NULL",
            new { hash }), cancellationToken);
        if (row is null || !CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(row.KeyHash), Encoding.ASCII.GetBytes(hash)))
        {
            return null;
        }

        return new AuthenticatedKey(row.Id, row.MerchantId, row.Mode);
    }

    public Task<IReadOnlyList<ApiKey>> ListAsync(string merchantId, CancellationToken cancellationToken) =>
        database.ReadAsync(session => session.QueryAsync<ApiKey>(
            $"{SelectKey} WHERE merchant_id = @merchantId ORDER BY id DESC", new { merchantId }), cancellationToken);

    /// <summary>Revokes one of the merchant's keys; another merchant's key is "not found".</summary>
    public async Task<ApiKey> RevokeAsync(DbSession session, string merchantId, string keyId)
    {
        var key = await session.QuerySingleOrDefaultAsync<ApiKey>($"{SelectKey} WHERE id = @keyId AND merchant_id = @merchantId", new { keyId, merchantId })
            ?? throw Problems.NotFound("API key", keyId);
        if (key.RevokedAt is not null)
        {
            return key;
        }

        var now = clock.GetUtcNow();
        await session.ExecuteAsync("UPDATE api_keys SET revoked_at = @now WHERE id = @keyId", new { now, keyId });
        return key with { RevokedAt = now };
    }

    /// <summary>Revokes the merchant's keys with this label (used to rotate the printed development key).</summary>
    public Task RevokeLabelledAsync(DbSession session, string merchantId, string label) =>
        session.ExecuteAsync(
            "UPDATE api_keys SET revoked_at = @now WHERE merchant_id = @merchantId AND label = @label AND revoked_at IS NULL",
            new { now = clock.GetUtcNow(), merchantId, label });

    public static bool TryParseMode(string? secret, out string mode)
    {
        mode = "";
        if (secret is null || secret.Length < 32 || secret.Length > 128)
        {
            return false;
        }

        if (secret.StartsWith("sk_test_", StringComparison.Ordinal))
        {
            mode = "test";
        }
        else if (secret.StartsWith("sk_live_", StringComparison.Ordinal))
        {
            mode = "live";
        }
        else
        {
            return false;
        }

        foreach (var c in secret.AsSpan(8))
        {
            if (!char.IsAsciiLetterOrDigit(c) && c != '_')
            {
                return false;
            }
        }

        return true;
    }

    private const string SelectKey =
        "SELECT id AS Id, merchant_id AS MerchantId, mode AS Mode, last4 AS Last4, label AS Label, created_at AS CreatedAt, revoked_at AS RevokedAt FROM api_keys";

    private async Task<ApiKey> InsertAsync(DbSession session, string merchantId, string secret, string? label, bool ifAbsent = false)
    {
        _ = await FindMerchantAsync(session, merchantId) ?? throw Problems.NotFound("merchant", merchantId);
        if (!TryParseMode(secret, out var mode))
        {
            throw new ArgumentException("Not a secret key.", nameof(secret));
        }

        var key = new ApiKey
        {
            Id = ids.New("key"),
            MerchantId = merchantId,
            Mode = mode,
            Last4 = secret[^4..],
            Label = label,
            CreatedAt = clock.GetUtcNow(),
        };
        await session.ExecuteAsync(
            "INSERT INTO api_keys (id, merchant_id, mode, key_hash, last4, label, created_at) VALUES (@Id, @MerchantId, @Mode, @hash, @Last4, @Label, @CreatedAt)"
            + (ifAbsent ? " ON CONFLICT (key_hash) DO NOTHING" : ""),
            new { key.Id, key.MerchantId, key.Mode, hash = Hash(secret), key.Last4, key.Label, key.CreatedAt });
        return key;
    }

    private async Task<Merchant> CreateMerchantAsync(DbSession session, string id, string name)
    {
        if (string.IsNullOrWhiteSpace(name) || name.Length > 200)
        {
            throw Problems.Validation("name", "Must be 1 to 200 characters.");
        }

        var merchant = new Merchant { Id = id, Name = name.Trim(), CreatedAt = clock.GetUtcNow() };
        await session.ExecuteAsync("INSERT INTO merchants (id, name, created_at) VALUES (@Id, @Name, @CreatedAt)", merchant);
        return merchant;
    }

    private static Task<Merchant?> FindMerchantAsync(DbSession session, string id) =>
        session.QuerySingleOrDefaultAsync<Merchant>("SELECT id AS Id, name AS Name, created_at AS CreatedAt FROM merchants WHERE id = @id", new { id });

    private static string Hash(string secret) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));

    private sealed class KeyRow
    {
        public string Id { get; init; } = "";
        public string MerchantId { get; init; } = "";
        public string Mode { get; init; } = "";
        public string KeyHash { get; init; } = "";
    }
}

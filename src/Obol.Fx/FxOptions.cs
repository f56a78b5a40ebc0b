using Obol.Core.Configuration;

namespace Obol.Fx;

/// <summary>Configuration section <c>Obol:Fx</c>.</summary>
internal sealed class FxOptions
{
    public const string Section = "Obol:Fx";

    /// <summary>The ECB's daily euro reference rates.</summary>
    public const string EcbDailyUrl = "https://www.ecb.europa.eu/stats/eurofxref/eurofxref-daily.xml";

    /// <summary>
    /// Where the ECB reference rates XML is fetched. A relative URL is on this server (the in-process simulator serves
    /// one at <c>sim/ecb/eurofxref-daily.xml</c>, which the host picks when it runs the simulator and nothing is set).
    /// </summary>
    public string RatesUrl { get; set; } = EcbDailyUrl;

    /// <summary>A local ECB reference rates file to read instead of <see cref="RatesUrl"/> (re-read at every refresh).</summary>
    public string? RatesFile { get; set; }

    /// <summary>How often each node fetches the rates.</summary>
    public TimeSpan RefreshInterval { get; set; } = TimeSpan.FromHours(1);

    /// <summary>
    /// Rates published longer ago than this are refused for new quotes. The ECB publishes on TARGET working days only, so the
    /// default covers Easter (Thursday 16:00 to Tuesday 16:00) with a day to spare.
    /// </summary>
    public TimeSpan MaxRateAge { get; set; } = TimeSpan.FromDays(6);

    /// <summary>Margin on the mid rate, in basis points (100 = 1 %), for merchants not listed in <see cref="MerchantMarginBps"/>.</summary>
    public int MarginBps { get; set; } = 100;

    /// <summary>Margin per merchant id, in basis points.</summary>
    public Dictionary<string, int> MerchantMarginBps { get; set; } = new(StringComparer.Ordinal);

    /// <summary>How long a quote holds its rate when the request names no lock duration.</summary>
    public TimeSpan DefaultLockDuration { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>The longest lock a quote may ask for.</summary>
    public TimeSpan MaxLockDuration { get; set; } = TimeSpan.FromHours(24);

    public int MarginFor(string merchantId) => MerchantMarginBps.TryGetValue(merchantId, out var bps) ? bps : MarginBps;

    public static IEnumerable<string> Problems(FxOptions options) =>
        ModuleOptions.Positive("RefreshInterval", options.RefreshInterval)
            .Concat(options.RefreshInterval > TimeSpan.FromDays(7) ? ["RefreshInterval must be at most 7.00:00:00: reference rates change daily."] : [])
            .Concat(ModuleOptions.Positive("MaxRateAge", options.MaxRateAge))
            .Concat(ModuleOptions.Positive("DefaultLockDuration", options.DefaultLockDuration))
            .Concat(options.DefaultLockDuration > options.MaxLockDuration ? ["DefaultLockDuration must not be longer than MaxLockDuration."] : [])
            .Concat(string.IsNullOrWhiteSpace(options.RatesUrl) && string.IsNullOrWhiteSpace(options.RatesFile) ? ["RatesUrl or RatesFile must be set."] : [])
            .Concat(new[] { ("MarginBps", options.MarginBps) }.Concat(options.MerchantMarginBps.Select(m => ($"MerchantMarginBps:{m.Key}", m.Value)))
                .Where(m => m.Item2 is < 0 or >= 10_000)
                .Select(m => $"{m.Item1} must be from 0 to 9999 basis points, not {m.Item2}."));
}

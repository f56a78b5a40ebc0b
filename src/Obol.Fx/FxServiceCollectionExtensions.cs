using Microsoft.Extensions.DependencyInjection;
using Obol.Core.Configuration;
using Obol.Core.Storage;
using Obol.Fx.Quotes;
using Obol.Fx.Rates;

namespace Obol.Fx;

public static class FxServiceCollectionExtensions
{
    public static IServiceCollection AddObolFx(this IServiceCollection services)
    {
        services.AddModuleOptions<FxOptions>(FxOptions.Section, FxOptions.Problems);
        services.AddSingleton(new MigrationSource("fx", typeof(FxServiceCollectionExtensions).Assembly));
        services.AddHttpClient(EcbRateSource.HttpClientName, c => c.Timeout = TimeSpan.FromSeconds(30));
        services.AddSingleton<IFxRateSource, EcbRateSource>();
        services.AddSingleton<RateStore>();
        services.AddSingleton<QuoteStore>();
        services.AddSingleton<SettlementCurrencyStore>();
        services.AddSingleton<FxService>();
        services.AddSingleton<IFx>(sp => sp.GetRequiredService<FxService>());
        services.AddSingleton<RateRefresher>();
        services.AddHostedService(sp => sp.GetRequiredService<RateRefresher>());
        return services;
    }
}

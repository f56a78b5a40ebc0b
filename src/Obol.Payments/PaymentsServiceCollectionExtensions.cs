using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Obol.Core.Configuration;
using Obol.Core.Events;
using Obol.Core.Storage;
using Obol.Payments.Bookkeeping;
using Obol.Payments.Processing;
using Obol.Payments.Psp;
using Obol.Payments.Psp.Adyen;
using Obol.Payments.Psp.Stripe;
using Obol.Payments.Settlements;
using Obol.Payments.Storage;
using Stripe;

namespace Obol.Payments;

public static class PaymentsServiceCollectionExtensions
{
    public static IServiceCollection AddObolPayments(this IServiceCollection services)
    {
        services.AddModuleOptions<PaymentsOptions>(PaymentsOptions.Section, PaymentsOptions.Problems, PaymentsOptions.CompleteDefaults);
        services.AddSingleton<IValidateOptions<PaymentsOptions>, PspModeRule>();
        services.AddSingleton(new MigrationSource("payments", typeof(PaymentsServiceCollectionExtensions).Assembly));
        services.AddSingleton<PspBaseAddresses>();

        services.AddSingleton<IPspConnector>(sp =>
        {
            var options = sp.GetRequiredService<PaymentsOptions>();
            var addresses = sp.GetRequiredService<PspBaseAddresses>();
            return new StripeConnector(() => new StripeClient(new StripeClientOptions
            {
                ApiKey = options.Stripe.ApiKey,
                ApiBase = addresses.Stripe.ToString().TrimEnd('/'),
                HttpClient = new SystemNetHttpClient(new HttpClient { Timeout = options.PspTimeout }, maxNetworkRetries: 0),
            }));
        });
        services.AddSingleton<IPspConnector>(sp =>
        {
            var options = sp.GetRequiredService<PaymentsOptions>();
            var addresses = sp.GetRequiredService<PspBaseAddresses>();
            return new AdyenConnector(new HttpClient { Timeout = options.PspTimeout }, options.Adyen, () => addresses.Adyen);
        });

        services.AddSingleton<PspRouter>();
        services.AddSingleton<PaymentStore>();
        services.AddSingleton<PaymentPostings>();
        services.AddSingleton<SettlementConversions>();
        services.AddSingleton<PaymentEvents>();
        services.AddEventTypes("payments", PaymentEvents.Types);
        services.AddSingleton<PaymentProcessor>();
        services.AddSingleton<IPayments, PaymentsCore>();
        services.AddSingleton<IPaymentSettlementLookup, PaymentSettlementLookup>();
        services.AddHttpClient(PspSettlementReports.HttpClientName, c => c.Timeout = TimeSpan.FromSeconds(60));
        services.AddSingleton<IPspSettlementReports, PspSettlementReports>();
        services.AddSingleton<UnknownOutcomeResolver>();
        services.AddHostedService(sp => sp.GetRequiredService<UnknownOutcomeResolver>());
        return services;
    }
}

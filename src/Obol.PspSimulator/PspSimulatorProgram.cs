using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Obol.PspSimulator.Hosting;

namespace Obol.PspSimulator;

/// <summary>Standalone entry point. Not named Program, so a host that references this project keeps its own.</summary>
internal static class PspSimulatorProgram
{
    public const string DefaultUrl = "http://127.0.0.1:5090";

    public static async Task Main(string[] args)
    {
        await using var app = Build(args);
        await app.RunAsync();
    }

    /// <summary>
    /// The standalone simulator: the <c>/sim</c> paths, the PSP APIs where their client libraries call them, and the
    /// CONNECT proxy when <c>PspSimulator:ProxyUrl</c> is set. HTTPS is Kestrel's own configuration (see the README).
    /// </summary>
    public static WebApplication Build(string[] args)
    {
        var builder = WebApplication.CreateBuilder(args);
        if (string.IsNullOrEmpty(builder.Configuration["urls"]))
        {
            builder.WebHost.UseUrls(DefaultUrl);
        }

        builder.Services.AddPspSimulator(builder.Configuration);
        builder.Services.AddSingleton<ConnectProxy>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<ConnectProxy>());
        var app = builder.Build();
        app.MapPspSimulator();
        app.MapPspDialectsAtRoot();
        return app;
    }
}

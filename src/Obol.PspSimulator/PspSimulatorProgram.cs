using Microsoft.AspNetCore.Builder;

namespace Obol.PspSimulator;

/// <summary>Standalone entry point. Not named Program, so a host that references this project keeps its own.</summary>
internal static class PspSimulatorProgram
{
    public const string DefaultUrl = "http://127.0.0.1:5090";

    public static async Task Main(string[] args)
    {
        var builder = WebApplication.CreateBuilder(args);
        if (string.IsNullOrEmpty(builder.Configuration["urls"]))
        {
            builder.WebHost.UseUrls(DefaultUrl);
        }

        builder.Services.AddPspSimulator(builder.Configuration);
        var app = builder.Build();
        app.MapPspSimulator();
        await app.RunAsync();
    }
}

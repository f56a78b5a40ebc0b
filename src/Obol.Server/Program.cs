using Microsoft.Extensions.Options;
using Obol.Server;

if (args is ["merchants", ..])
{
    return await ServerCommands.RunAsync(args);
}

var app = ObolApplication.Build(ObolApplication.CreateBuilder(args));
try
{
    await ObolApplication.PrepareAsync(app);
}
catch (OptionsValidationException invalid)
{
    await Console.Error.WriteLineAsync("Obol cannot start; fix these settings:");
    foreach (var failure in invalid.Failures)
    {
        await Console.Error.WriteLineAsync($"  {failure}");
    }

    return 1;
}

await app.RunAsync();
return 0;

using Obol.Server;

if (args is ["merchants", ..])
{
    return await ServerCommands.RunAsync(args);
}

var app = ObolApplication.Build(ObolApplication.CreateBuilder(args));
await ObolApplication.PrepareAsync(app);
await app.RunAsync();
return 0;

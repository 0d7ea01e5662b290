using Crema.Cli;

return CremaCommandLine.Run(args, Console.Out, Console.Error);

from takepoint.cli.main import run

run()

"""Running the project's own programs: the tests Write tests wrote, with the project's runner,
without network, within a time limit, cancellable, and only where the user trusts the code
(``tests.run``). Nothing here edits a file of the project or asks a model."""

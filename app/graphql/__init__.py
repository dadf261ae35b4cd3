"""The GraphQL schema clients see. Resolvers unpack input and call one service function."""

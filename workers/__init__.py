"""Dramatiq broker set-up and the actors. Actors unpack ids and call one service each."""

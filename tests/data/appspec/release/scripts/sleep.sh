#!/bin/sh
echo "waiting for ever"
sleep 60

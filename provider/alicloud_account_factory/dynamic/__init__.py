"""What only the dynamic front door needs: the provider server's pool, the cancel watch, the lifeline."""
